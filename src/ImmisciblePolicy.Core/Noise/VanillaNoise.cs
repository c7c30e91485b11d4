using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>Plain diffusion pairing: independent N(0, I) noise shaped like x0, one randn call.</summary>
public sealed class VanillaNoise : INoiseAssigner
{
    /// <inheritdoc />
    public string Name => "vanilla";

    /// <inheritdoc />
    public Tensor Assign(Tensor x0, Generator? generator, long step = 0)
    {
        NoiseArguments.CheckBatch(x0, nameof(x0));
        return Draw(x0, generator);
    }

    /// <summary>The draw itself, without checks; the other assigners and the metrics reuse it.</summary>
    internal static Tensor Draw(Tensor x0, Generator? generator) =>
        randn(x0.shape, dtype: x0.dtype, device: x0.device, generator: generator); // (B, ...)
}
