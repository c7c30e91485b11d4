using System.Security.Cryptography;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>Which weights plan: the checkpoint's training step and a hash of its weights file.</summary>
/// <param name="Step">training step of the checkpoint.</param>
/// <param name="Hash">first 16 hex digits of the SHA-256 of model.safetensors.</param>
public sealed record PolicyVersion(long Step, string Hash);

/// <summary>What a client needs to know to talk to a served policy.</summary>
public sealed record PolicyDescription(
    string Id,
    SimTaskKind Task,
    int ObservationSize,
    int ActionSize,
    int ObservationSteps,
    int Horizon,
    int ActionSteps,
    double DtSeconds,
    SamplerKind DefaultSampler,
    int DefaultSteps,
    int TrainTimesteps,
    PolicyVersion Version,
    IReadOnlyList<string> ObservationNames,
    IReadOnlyList<string> ActionNames,
    string Source,
    IReadOnlyList<float> ObservationMin,
    IReadOnlyList<float> ObservationMax,
    ImmisciblePolicy.Policy.PolicyEngine Engine = ImmisciblePolicy.Policy.PolicyEngine.Torch,
    IReadOnlyList<ImmisciblePolicy.Policy.Data.ImageFeature>? ImageFeatures = null)
{
    /// <summary>The cameras a vision policy needs at every observation step, in its order; empty for a state-only policy.</summary>
    public IReadOnlyList<ImmisciblePolicy.Policy.Data.ImageFeature> Cameras => ImageFeatures ?? [];

    /// <summary>
    /// Largest |normalised observation| accepted: the policy normalises its training range onto [-1, 1], so 100 is
    /// the training range widened by 49.5 widths on each side. Beyond it the network's output means nothing and
    /// float32 overflows (observations of 1e25 gave all-NaN actions).
    /// </summary>
    public const float NormalizedObservationLimit = 100f;

    /// <summary>Describes <paramref name="policy"/> loaded from <paramref name="directory"/>.</summary>
    public static PolicyDescription Of(string id, TrainedPolicy policy, string directory)
    {
        var c = policy.Config;
        var p = c.Policy;
        // Observation names come from the task and layout (a vision policy observes the agent position as its state);
        // a policy trained on another shape keeps generic names. Do is observation.state's width: for a vision policy
        // the state part of its per-step condition, the camera features come from PlanRequest.images.
        int stateDim = p.StateDim;
        var names = p.Vision is null ? SimTasks.ObservationNames(c.Task, c.Observation) : PixelObservations.StateNames;
        if (names.Length != stateDim) names = Enumerable.Range(0, stateDim).Select(i => $"obs{i}").ToArray();
        var actions = SimTasks.ActionNames.Length == p.ActionDim
            ? SimTasks.ActionNames.ToArray()
            : Enumerable.Range(0, p.ActionDim).Select(i => $"action{i}").ToArray();
        return new PolicyDescription(id, c.Task, stateDim, p.ActionDim, p.ObsSteps, p.Horizon, p.ActionSteps,
            1.0 / SimTasks.Create(c.Task).ControlHz, c.Sampler, c.InferenceSteps, c.Schedule.NumTrainTimesteps,
            new PolicyVersion(policy.Step, WeightsHash(directory)), names, actions, directory,
            AcceptedBound(policy.ObservationNormalizer, -NormalizedObservationLimit),
            AcceptedBound(policy.ObservationNormalizer, NormalizedObservationLimit), policy.Engine, policy.Cameras);
    }

    // Task-unit value x with normalize(x) = y: x = (y - offset) / scale (scale > 0 for min-max limits).
    private static float[] AcceptedBound(ImmisciblePolicy.Policy.Data.MinMaxNormalizer normalizer, float y)
    {
        var bound = new float[normalizer.Dim];
        for (int d = 0; d < bound.Length; d++) bound[d] = (y - normalizer.Offset[d]) / normalizer.Scale[d];
        return bound;
    }

    private static string WeightsHash(string directory)
    {
        var dir = ImmisciblePolicy.Core.Training.CheckpointDirectory.Resolve(directory) ?? directory;
        using var stream = File.OpenRead(Path.Combine(dir, PolicyCheckpoint.WeightsFile));
        return Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
    }
}
