using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>What the worker returns for one request.</summary>
/// <param name="Actions">the Ta executed actions (Ta, Da), task units.</param>
/// <param name="Chunk">the whole predicted chunk (Tp, Da), task units.</param>
/// <param name="QueueMs">time from enqueue to the batch's start.</param>
/// <param name="InferenceMs">the batch's planning time.</param>
/// <param name="BatchSize">requests in the batch.</param>
/// <param name="Seed">the seed this request's noise came from.</param>
/// <param name="Sampler">sampler used.</param>
/// <param name="Steps">denoising steps used.</param>
public sealed record PlanOutcome(double[][] Actions, double[][] Chunk, double QueueMs, double InferenceMs, int BatchSize,
    long Seed, SamplerKind Sampler, int Steps);
