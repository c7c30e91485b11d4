using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>
/// One validated planning request in domain terms: a (To, Do) window in task units plus how to sample.
/// The gRPC layer builds it only after checking shapes and values, so the worker never sees bad input.
/// </summary>
/// <param name="SessionId">robot or episode asking.</param>
/// <param name="Window">To observations of Do values, oldest first.</param>
/// <param name="ObservationTime">wall-clock time of the newest observation.</param>
/// <param name="Timestep">control timestep of the newest observation.</param>
/// <param name="Sampler">sampler to run.</param>
/// <param name="Steps">denoising steps.</param>
/// <param name="Seed">explicit seed (planned alone, reproducible) or null (may share a batch).</param>
public sealed record PlanInput(string SessionId, double[][] Window, DateTimeOffset ObservationTime, long Timestep,
    SamplerKind Sampler, int Steps, long? Seed)
{
    /// <summary>Requests that may share one network call: same sampler and step count, no explicit seed.</summary>
    public bool CanBatchWith(PlanInput other) =>
        Seed is null && other.Seed is null && Sampler == other.Sampler && Steps == other.Steps;
}
