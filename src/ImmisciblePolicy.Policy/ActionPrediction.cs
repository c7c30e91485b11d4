using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy;

/// <summary>
/// Output of <see cref="DiffusionPolicy.PredictActionChunk"/>, still normalised; the caller owns both tensors
/// (they live in the caller's dispose scope). <see cref="Actions"/> is a view into <see cref="Chunk"/>.
/// </summary>
/// <param name="Actions">the actions to execute, (B, Ta, Da): chunk steps To - 1 .. To - 2 + Ta.</param>
/// <param name="Chunk">the whole denoised chunk, (B, Tp, Da).</param>
public sealed record ActionPrediction(Tensor Actions, Tensor Chunk);
