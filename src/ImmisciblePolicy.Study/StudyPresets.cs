namespace ImmisciblePolicy.Study;

/// <summary>
/// The study designs. Budgets are fixed here, before any result is seen (docs/results/study-protocol.md), and are the
/// same for every method of a task.
/// </summary>
public static class StudyPresets
{
    /// <summary>The three seeds of every preset (the issue asks for at least three per cell).</summary>
    public static IReadOnlyList<long> Seeds { get; } = [0, 1, 2];

    /// <summary>
    /// A first look within 20 minutes on 2 cores (measured 2 threads, idle machine: a bimodal cell ~15 s, a Fashion-MNIST cell
    /// ~45 s plus ~20 s once for the metric classifier): the bimodal policy task with all seven methods, and small Fashion-MNIST
    /// pixel models with vanilla, linear assignment, KNN k = 8 and data scaling, three seeds each. Budgets are far below
    /// convergence: the quick preset shows the machinery and early-training trends, not the papers' converged numbers.
    /// </summary>
    public static StudyPreset Quick { get; } = new("quick",
        "bimodal policy (7 methods) + small Fashion-MNIST pixel models (4 methods), 3 seeds, under a minute per cell",
        [
            new TaskPlan(StudyTaskKind.Bimodal, new TaskBudget
            {
                Steps = 600, EvalEvery = 100, BatchSize = 64, LearningRate = 3e-3, WarmupSteps = 30, Widths = [32, 64], StepEmbedDim = 32,
                DemoEpisodes = 40, EvalEpisodes = 50,
            }),
            new TaskPlan(StudyTaskKind.FashionMnist, new TaskBudget
            {
                Steps = 600, EvalEvery = 100, BatchSize = 32, LearningRate = 1e-3, WarmupSteps = 40, Widths = [16, 32, 32],
                EvalSamples = 200, SampleSteps = 10, ClassifierEpochs = 1, BijectiveItems = 32,
            }, [StudyMethods.Vanilla, StudyMethods.LinearAssignment, StudyMethods.Knn(8), StudyMethods.Scale2]),
        ],
        StudyMethods.All, Seeds);

    /// <summary>
    /// Every task x all seven methods x three seeds at the CPU-sized budgets of the project's own results (Push-T 10k
    /// steps as `train`'s default, Fashion-MNIST 2000 steps of the 0.8 M-parameter U-Net). Measured: about 6 hours on 2
    /// cores (two cells side by side, 1 thread each: Push-T 7-9 min, bimodal ~1, latent ~4, pixel 16-18 min per cell);
    /// as an Indexed Job each pod takes one cell (at most ~20 min).
    /// </summary>
    public static StudyPreset Full { get; } = new("full",
        "Push-T, bimodal, Fashion-MNIST pixel (+ in-painting) and latent; 7 methods; 3 seeds",
        [
            new TaskPlan(StudyTaskKind.PushT, new TaskBudget
            {
                Steps = 10_000, EvalEvery = 2000, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = 500, Widths = [32, 64, 128], StepEmbedDim = 32,
                DemoEpisodes = 200, EvalEpisodes = 50,
            }),
            new TaskPlan(StudyTaskKind.Bimodal, new TaskBudget
            {
                Steps = 1000, EvalEvery = 200, BatchSize = 64, LearningRate = 3e-3, WarmupSteps = 50, Widths = [32, 64], StepEmbedDim = 32,
                DemoEpisodes = 100, EvalEpisodes = 100,
            }),
            new TaskPlan(StudyTaskKind.FashionMnist, new TaskBudget
            {
                Steps = 2000, EvalEvery = 400, BatchSize = 64, LearningRate = 5e-4, WarmupSteps = 200, Widths = [32, 64, 64],
                EvalSamples = 500, SampleSteps = 20, ClassifierEpochs = 4,
            }),
            new TaskPlan(StudyTaskKind.FashionMnistLatent, new TaskBudget
            {
                Steps = 1500, EvalEvery = 300, BatchSize = 64, LearningRate = 5e-4, WarmupSteps = 150, Widths = [64],
                EvalSamples = 500, SampleSteps = 20, AutoencoderSteps = 400, ClassifierEpochs = 4,
            }),
        ],
        StudyMethods.All, Seeds);

    /// <summary>All presets by name.</summary>
    /// <summary>
    /// The policy study, round 2 (docs/results/study-policy-protocol.md, fixed before any cell ran): multimodal Push-T
    /// on the Chipmunk physics (keypoints, 50/50 clockwise / counter-clockwise demonstrations) and the bimodal reach task
    /// with the unequal demonstration mix chosen by the protocol's pilot; vanilla, KNN k = 2/4, linear assignment plain,
    /// with the policy paper's recipe, and observation-aware. Seeds 0-2 for every cell, 3-4 for vanilla and the best
    /// pairing on Push-T (run with --seeds).
    /// </summary>
    public static StudyPreset Policy { get; } = new("policy",
        "multimodal Push-T (Chipmunk, keypoints) + bimodal reach with an unequal mix; 6 pairings; seeds 0-2 (3-4 for vanilla and the best)",
        [
            new TaskPlan(StudyTaskKind.PushTMultimodal, new TaskBudget
            {
                // 6k steps: amendment 1 of the protocol (10k did not fit this session's CPU time).
                Steps = 6000, EvalEvery = 2000, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = 500, Widths = [32, 64, 128], StepEmbedDim = 32,
                DemoEpisodes = 200, EvalEpisodes = 50, ModeMix = 0.5,
            }),
            new TaskPlan(StudyTaskKind.BimodalSkewed, new TaskBudget
            {
                Steps = 1000, EvalEvery = 200, BatchSize = 64, LearningRate = 3e-3, WarmupSteps = 50, Widths = [32, 64], StepEmbedDim = 32,
                DemoEpisodes = BimodalSkewedEpisodes, EvalEpisodes = 100, ModeMix = BimodalSkewedLeftShare,
            }, [.. StudyMethods.Policy, .. StudyMethods.ObservationAwareSweep]),   // the lambda sweep: amendment 3
        ],
        StudyMethods.Policy, [0, 1, 2, 3, 4]);

    /// <summary>The bimodal task's demonstration mix in <see cref="Policy"/>: the protocol's pilot outcome (left share).</summary>
    public const double BimodalSkewedLeftShare = 0.8;

    /// <summary>The bimodal task's demonstration episodes in <see cref="Policy"/> (the protocol's pilot outcome).</summary>
    public const int BimodalSkewedEpisodes = 100;

    public static IReadOnlyList<StudyPreset> All { get; } = [Quick, Full, Policy];

    /// <summary>The preset named <paramref name="name"/>; the error lists the names.</summary>
    public static StudyPreset Parse(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown preset '{name}': expected one of {string.Join(", ", All.Select(p => p.Name))}", nameof(name));
}
