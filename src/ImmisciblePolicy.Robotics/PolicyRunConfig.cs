using System.Text.Json;
using System.Text.Json.Serialization;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics;

/// <summary>How actions are sampled at inference.</summary>
public enum SamplerKind
{
    /// <summary>DDPM ancestral sampling (Diffusion Policy in simulation: 100 steps).</summary>
    Ddpm,
    /// <summary>Deterministic DDIM (Diffusion Policy on real robots: 8-16 steps).</summary>
    Ddim,
}

/// <summary>Share of the demonstrations in one solution mode.</summary>
/// <param name="Mode">mode name (<see cref="TaskModes.Names"/>).</param>
/// <param name="Share">fraction of the demonstration episodes labelled with it.</param>
public sealed record ModeShare(string Mode, double Share);

/// <summary>
/// Everything that defines a policy training run. It is written into every checkpoint as config.json, so a
/// checkpoint says how it was made and how to rebuild its network.
/// </summary>
public sealed record PolicyRunConfig
{
    /// <summary>The task the policy acts in.</summary>
    public SimTaskKind Task { get; init; } = SimTaskKind.PushT;

    /// <summary>
    /// The Push-T observation layout the policy was trained on, so evaluation and serving build the environment the same way.
    /// Taken from the dataset by <see cref="PolicyTraining.FitShapes"/>; checkpoints written before it existed were trained on
    /// keypoints, the default.
    /// </summary>
    public PushTObservation Observation { get; init; } = SimTasks.DefaultObservation;

    /// <summary>
    /// The solution-mode mix of the demonstrations (from the dataset's episode labels), the reference of the mode metrics'
    /// total-variation distance; null when the demonstrations carry no labels.
    /// </summary>
    public IReadOnlyList<ModeShare>? DemonstrationModes { get; init; }

    /// <summary>Shapes, horizons (To = 2, Tp = 16, Ta = 8) and the U-Net (CPU-sized widths by default).</summary>
    public DiffusionPolicyConfig Policy { get; init; } = new();

    /// <summary>Diffusion Policy's scheduler: 100 steps, squaredcos_cap_v2, epsilon, clip to [-1, 1].</summary>
    public DiffusionScheduleConfig Schedule { get; init; } = DiffusionScheduleConfig.DiffusionPolicy;

    /// <summary>Noise pairing. KNN with k = 2 is the Improved Immiscible Diffusion setting for Push-T.</summary>
    public NoiseAssignmentConfig Noise { get; init; } = new() { Method = NoiseAssignmentMethod.Knn, K = 2 };

    /// <summary>Steps, batch, seed, optimiser, EMA.</summary>
    public TrainerConfig Trainer { get; init; } = new();

    /// <summary>Sampler used for evaluation and serving. DDIM keeps CPU planning fast.</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Ddim;

    /// <summary>Denoising steps at inference: 10 DDIM steps (DDPM would use all 100).</summary>
    public int InferenceSteps { get; init; } = 10;

    /// <summary>
    /// The schedule actually used: with data scaling s the clean actions live in [-s, s], so the x0 clip
    /// range widens by s (otherwise sampling would clip scaled actions back into [-1, 1]).
    /// </summary>
    [JsonIgnore]
    public DiffusionScheduleConfig EffectiveSchedule =>
        Noise.DataScale == 1.0 ? Schedule : Schedule with { ClipSampleRange = Schedule.ClipSampleRange * Noise.DataScale };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid part.</summary>
    public void Validate()
    {
        Policy.Validate();
        if (!Enum.IsDefined(Observation))
            throw new ArgumentException($"unknown Push-T observation layout {Observation}", nameof(Observation));
        if (DemonstrationModes is { } modes && (modes.Any(m => m is null || string.IsNullOrWhiteSpace(m.Mode) || !(m.Share >= 0 && m.Share <= 1))
                                                || Math.Abs(modes.Sum(m => m.Share) - 1) > 1e-9))
            throw new ArgumentException(
                $"{nameof(DemonstrationModes)} must name modes with shares in [0, 1] summing to 1; got [{string.Join(", ", modes.Select(m => $"{m?.Mode}: {m?.Share}"))}]",
                nameof(DemonstrationModes));
        Schedule.Validate();
        Noise.Validate();
        Trainer.Validate();
        if (InferenceSteps < 1 || InferenceSteps > Schedule.NumTrainTimesteps)
            throw new ArgumentException(
                $"{nameof(InferenceSteps)} must be between 1 and {Schedule.NumTrainTimesteps}; got {InferenceSteps}", nameof(InferenceSteps));
    }

    /// <summary>JSON settings for config.json: indented, enums by name.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Serialises to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses config.json; <paramref name="source"/> names the file in errors.</summary>
    public static PolicyRunConfig FromJson(string json, string source)
    {
        try
        {
            var config = JsonSerializer.Deserialize<PolicyRunConfig>(json, Json)
                         ?? throw new InvalidDataException($"{source}: empty policy configuration");
            config.Validate();
            return config;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid policy configuration ({e.Message})", e);
        }
    }
}
