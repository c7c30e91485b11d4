using ImmisciblePolicy.Core.Noise;

namespace ImmisciblePolicy.Study;

/// <summary>
/// One arm of the study: a noise pairing. Everything else in a cell (data, network, seed, budget, sampler) is the
/// same for every method, so a difference between two methods of the same seed is the pairing's alone.
/// </summary>
/// <param name="Id">short name used in cell ids and tables ("vanilla", "knn4", ...).</param>
/// <param name="Label">what the tables print.</param>
/// <param name="Noise">the pairing configuration handed to the trainer.</param>
public sealed record StudyMethod(string Id, string Label, NoiseAssignmentConfig Noise)
{
    /// <summary>True for the baseline every other method is compared against.</summary>
    public bool IsVanilla => Noise.Method == NoiseAssignmentMethod.Vanilla && Noise.DataScale == 1.0;

    /// <summary>
    /// Vanilla noise for this share of a cell's training steps before the pairing starts
    /// (<see cref="NoiseAssignmentConfig.WarmupSteps"/> = round(share x steps)); 0 = paired from the first step.
    /// </summary>
    public double NoiseWarmupShare { get; init; }

    /// <summary>The pairing configuration for a cell of <paramref name="steps"/> training steps.</summary>
    public NoiseAssignmentConfig NoiseFor(long steps) =>
        NoiseWarmupShare > 0 ? Noise with { WarmupSteps = (long)Math.Round(NoiseWarmupShare * steps) } : Noise;
}

/// <summary>The methods of the study (Immiscible Diffusion's family), in table order.</summary>
public static class StudyMethods
{
    /// <summary>Plain diffusion: every sample gets an independent N(0, I) noise.</summary>
    public static StudyMethod Vanilla { get; } = new("vanilla", "vanilla", new NoiseAssignmentConfig());

    /// <summary>Exact linear assignment over the batch (Immiscible Diffusion, 2024).</summary>
    public static StudyMethod LinearAssignment { get; } =
        new("la", "linear assignment", new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.LinearAssignment });

    /// <summary>KNN noise selection, nearest of k candidates per sample (Improved Immiscible Diffusion, 2025).</summary>
    public static StudyMethod Knn(int k) => new($"knn{k}", $"KNN k={k}", new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = k });

    /// <summary>Data scaling s = 2 alone: train on 2 x0 with vanilla noise (the paper's larger-data-scale variant).</summary>
    public static StudyMethod Scale2 { get; } = new("ds2", "data scale 2", new NoiseAssignmentConfig { DataScale = 2.0 });

    /// <summary>Data scaling s = 2 together with KNN k = 4.</summary>
    public static StudyMethod Scale2Knn4 { get; } =
        new("ds2-knn4", "data scale 2 + KNN k=4", new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 4, DataScale = 2.0 });

    /// <summary>
    /// Linear assignment with the Immiscible Diffusion Policy recipe: the cost on per-coordinate standardised actions
    /// (<see cref="NoiseAssignmentConfig.StandardizeForCost"/>) and vanilla noise for the first 10 % of training
    /// (<see cref="NoiseWarmupShare"/>), so the denoiser first learns the observation-conditioned mapping.
    /// </summary>
    public static StudyMethod LinearAssignmentRecipe { get; } =
        new("la-recipe", "linear assignment, standardised + 10 % warm-up",
            new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.LinearAssignment, StandardizeForCost = true }) { NoiseWarmupShare = 0.1 };

    /// <summary>
    /// Observation-aware linear assignment (<see cref="ObservationAwareAssignmentNoise"/>, lambda = 1): a noise moves
    /// between two samples only as far as their observations are alike; tests whether batch-wide pairing fails
    /// because it decouples the noise from the observation.
    /// </summary>
    public static StudyMethod ObservationAware { get; } = ObservationAwareWeighted(1.0);

    /// <summary>
    /// Observation-aware linear assignment with weight <paramref name="lambda"/> on the observation term: 0 is plain linear
    /// assignment, large values keep vanilla's pairing wherever observations differ. Id "obs-aware" for lambda = 1 (the
    /// protocol's arm), "obs-aware-{lambda}" otherwise.
    /// </summary>
    public static StudyMethod ObservationAwareWeighted(double lambda)
    {
        string text = lambda.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return new(lambda == 1.0 ? "obs-aware" : $"obs-aware-{text}", $"observation-aware assignment (lambda = {text})",
            new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.ObservationAwareAssignment, ConditionWeight = lambda });
    }

    /// <summary>
    /// The exploratory lambda sweep on the bimodal task (protocol amendment 3, added after the first 33 cells' results, so
    /// descriptive only): lambda = 0.1 and 0.3, between plain linear assignment (0) and the protocol's arm (1).
    /// </summary>
    public static IReadOnlyList<StudyMethod> ObservationAwareSweep { get; } = [ObservationAwareWeighted(0.1), ObservationAwareWeighted(0.3)];

    /// <summary>The policy study's methods (round 2, docs/results/study-policy-protocol.md), in table order.</summary>
    public static IReadOnlyList<StudyMethod> Policy { get; } =
        [Vanilla, Knn(2), Knn(4), LinearAssignment, LinearAssignmentRecipe, ObservationAware];

    /// <summary>All seven methods of the issue: vanilla, LA, KNN k = 2/4/8, data scaling alone and with KNN.</summary>
    public static IReadOnlyList<StudyMethod> All { get; } = [Vanilla, LinearAssignment, Knn(2), Knn(4), Knn(8), Scale2, Scale2Knn4];

    /// <summary>Every method of either study round, in table order (<see cref="All"/>, then the policy round's additions).</summary>
    public static IReadOnlyList<StudyMethod> Known { get; } = [.. All, LinearAssignmentRecipe, .. ObservationAwareSweep, ObservationAware];

    /// <summary>The method with id <paramref name="id"/>; the error lists the known ids.</summary>
    public static StudyMethod Parse(string id) =>
        Known.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown method '{id}': expected one of {string.Join(", ", Known.Select(m => m.Id))}", nameof(id));
}
