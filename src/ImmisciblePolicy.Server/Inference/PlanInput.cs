using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>
/// One validated planning request in domain terms: a (To, Do) window in task units, for a vision policy the camera
/// frames of every step, plus how to sample.
/// The gRPC layer builds it only after checking shapes and values, so the worker never sees bad input.
/// </summary>
/// <param name="SessionId">robot or episode asking.</param>
/// <param name="Window">To observations of Do values, oldest first.</param>
/// <param name="ObservationTime">wall-clock time of the newest observation.</param>
/// <param name="Timestep">control timestep of the newest observation.</param>
/// <param name="Sampler">sampler to run.</param>
/// <param name="Steps">denoising steps.</param>
/// <param name="Seed">explicit seed, or null for the session's seed (<see cref="SessionSeed"/>); either way the
/// request's noise comes from its own generator, so batching never changes its reply.</param>
/// <param name="Frames">vision policies: per observation step (To entries, aligned with <paramref name="Window"/>) one
/// decoded frame per camera of the policy; null for a state-only policy.</param>
public sealed record PlanInput(string SessionId, double[][] Window, DateTimeOffset ObservationTime, long Timestep,
    SamplerKind Sampler, int Steps, long? Seed, IReadOnlyList<CameraFrame>[]? Frames = null)
{
    /// <summary>The window as full observations (states with their frames), as <see cref="TrainedPolicy"/> plans from them.</summary>
    public ObservationWindow ToObservationWindow() =>
        new([.. Window.Select((state, t) => new Observation(state, Frames is null ? [] : Frames[t]))]);

    /// <summary>The seed this request's noise comes from: <see cref="Seed"/>, else the session's seed at this timestep.</summary>
    public long EffectiveSeed => Seed ?? SessionSeed.For(SessionId, Timestep);

    /// <summary>Requests that may share one network call: same sampler and step count (seeds are per request).</summary>
    public bool CanBatchWith(PlanInput other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Sampler == other.Sampler && Steps == other.Steps;
    }
}
