using System.Text.Json;
using System.Text.Json.Serialization;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Networks;

namespace ImmisciblePolicy.Images.Diffusion;

/// <summary>
/// Everything that defines an image-diffusion run; it is written into every checkpoint (<c>config.json</c>) so a
/// checkpoint describes itself, and a resumed run must match it exactly.
/// </summary>
public sealed record ImageRunConfig
{
    /// <summary>The denoiser's shape. Default: the 28 x 28 CPU-sized U-Net.</summary>
    public UNet2DConfig Unet { get; init; } = new();

    /// <summary>
    /// Training objective. Default flow matching: in CPU-sized runs (hundreds of steps, ~1 M parameters) DDPM epsilon
    /// prediction was measured to fail at sampling time - near t = T the model must predict eps to within
    /// sqrt(abar_T) ~ 0.006 to recover x0, so DDIM samples stayed noise (a 300-step toy run: eps MSE 0.06 at t = 300,
    /// yet every sample was noise), while the velocity target yields E[x0] directly at t = 1. DDPM stays available
    /// (<c>--objective Ddpm</c>) for longer runs, as in the papers' CIFAR/CelebA settings.
    /// </summary>
    public DiffusionObjective Objective { get; init; } = DiffusionObjective.FlowMatching;

    /// <summary>
    /// DDPM schedule. Default diffusers' linear 1e-4..0.02 over T = 1000 (Ho et al. 2020) with "trailing" spacing so a
    /// short DDIM run ends at t = 0 ... T-1 evenly; clip range follows the data scale (see <see cref="EffectiveSchedule"/>).
    /// </summary>
    public DiffusionScheduleConfig Schedule { get; init; } = new() { TimestepSpacing = TimestepSpacing.Trailing };

    /// <summary>Flow-matching time law. Default uniform t (rectified flow).</summary>
    public FlowMatchingConfig Flow { get; init; } = new();

    /// <summary>Noise pairing. Default KNN with k = 8, the best setting reported for DDIM on CIFAR-10 (Improved Immiscible Diffusion).</summary>
    public NoiseAssignmentConfig Noise { get; init; } = new() { Method = NoiseAssignmentMethod.Knn, K = 8 };

    /// <summary>
    /// Probability of replacing a label by the null class during training (classifier-free guidance). Default 0.1,
    /// Ho and Salimans (2022) found 0.1-0.2 best. Ignored for unconditional models.
    /// </summary>
    public double LabelDropout { get; init; } = 0.1;

    /// <summary>
    /// Optimiser loop. Defaults sized for a CPU run of minutes: 1000 steps of batch 64 (about one epoch of
    /// Fashion-MNIST; measured 1.3 steps/s on one free core, 0.3-0.5 steps/s on the loaded shared 2-core machine),
    /// peak LR 5e-4 (small network, short run; DDPM used 2e-4 for 800k steps) with a 200-step warm-up, checkpoint every 500.
    /// </summary>
    public TrainerConfig Trainer { get; init; } = new()
    {
        Steps = 1000,
        BatchSize = 64,
        CheckpointEvery = 500,
        LogEvery = 50,
        Optimizer = new OptimizerConfig { LearningRate = 5e-4, WarmupSteps = 200 },
    };

    /// <summary>Clamp samples to [-1, 1]. Default true (pixels); latent diffusion turns it off (latents are unbounded).</summary>
    public bool ClampSamples { get; init; } = true;

    /// <summary>The DDPM schedule with clip range = data scale (x0 of scaled data lives in [-s, s], not [-1, 1]).</summary>
    [JsonIgnore]
    public DiffusionScheduleConfig EffectiveSchedule => Schedule with { ClipSampleRange = Schedule.ClipSampleRange * Noise.DataScale };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Unet, nameof(Unet));
        Unet.Validate();
        if (!Enum.IsDefined(Objective)) throw new ArgumentOutOfRangeException(nameof(Objective), Objective, "unknown objective");
        Schedule.Validate();
        Flow.Validate();
        Noise.Validate();
        if (Noise.Method == Core.Noise.NoiseAssignmentMethod.ObservationAwareAssignment)
            throw new ArgumentException(
                $"{nameof(Noise)}.Method ObservationAwareAssignment pairs by the samples' observations and applies to policies only; " +
                "image models use Vanilla, LinearAssignment or Knn", nameof(Noise));
        Trainer.Validate();
        if (!(LabelDropout >= 0 && LabelDropout < 1))
            throw new ArgumentOutOfRangeException(nameof(LabelDropout), LabelDropout, $"{nameof(LabelDropout)} must be in [0, 1); received {LabelDropout}");
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Indented JSON with enum names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/> output; <paramref name="source"/> names the file in errors.</summary>
    public static ImageRunConfig FromJson(string json, string source)
    {
        try
        {
            var config = JsonSerializer.Deserialize<ImageRunConfig>(json, Json) ?? throw new InvalidDataException($"{source} is empty");
            config.Validate();
            return config;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not an image run config ({e.Message})", e);
        }
    }
}
