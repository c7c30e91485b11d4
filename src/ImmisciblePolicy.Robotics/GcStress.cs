using System.Diagnostics;
using System.Runtime.InteropServices;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Networks;

namespace ImmisciblePolicy.Robotics;

/// <summary>Settings of a <see cref="GcStress"/> run. Defaults are the full run of <c>immiscible bench gc-stress</c>.</summary>
public sealed record GcStressOptions
{
    /// <summary>Training steps of the tiny policy (through <see cref="PolicyTraining.Train"/>, the real training path).</summary>
    public int TrainingSteps { get; init; } = 2000;

    /// <summary>Planning calls (one observation window each) on the trained policy (<see cref="TrainedPolicy.PlanChunks"/>).</summary>
    public int Plans { get; init; } = 10000;

    /// <summary>Training batch; small, so a step is a few milliseconds and the run is dominated by native calls.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>DDIM steps per plan.</summary>
    public int InferenceSteps { get; init; } = 2;

    /// <summary>Run the collector thread (false gives the same workload without it, as a control).</summary>
    public bool ForceCollections { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (TrainingSteps < 1) throw new ArgumentException($"{nameof(TrainingSteps)} must be at least 1; got {TrainingSteps}", nameof(TrainingSteps));
        if (Plans < 0) throw new ArgumentException($"{nameof(Plans)} must be non-negative; got {Plans}", nameof(Plans));
        if (BatchSize < 1) throw new ArgumentException($"{nameof(BatchSize)} must be at least 1; got {BatchSize}", nameof(BatchSize));
        if (InferenceSteps < 1) throw new ArgumentException($"{nameof(InferenceSteps)} must be at least 1; got {InferenceSteps}", nameof(InferenceSteps));
    }
}

/// <summary>What a <see cref="GcStress"/> run did.</summary>
/// <param name="TrainingSteps">training steps completed.</param>
/// <param name="Plans">planning calls that returned.</param>
/// <param name="ForcedCollections">full blocking collections the collector thread forced meanwhile.</param>
/// <param name="NativeErrors">first line of every native (libtorch) error, in order; empty on success.</param>
/// <param name="TrainingSeconds">wall time of the training phase.</param>
/// <param name="PlanningSeconds">wall time of the planning phase.</param>
public sealed record GcStressResult(long TrainingSteps, int Plans, long ForcedCollections, IReadOnlyList<string> NativeErrors,
    double TrainingSeconds, double PlanningSeconds);

/// <summary>
/// Trains a tiny Diffusion Policy and plans with it while another thread forces full blocking garbage collections
/// and runs the finalizers in a tight loop. A managed object whose native handle is still in use by a libtorch
/// call (TorchSharp's temporary <c>Scalar</c>s, see docs/design.md "Native safety") is then finalized mid-call
/// with high probability, which shows up as a native error ("toFloat" check failures) or a crash. Used by
/// <c>immiscible bench gc-stress</c> and, shortened, by the unit suite.
/// </summary>
public static class GcStress
{
    /// <summary>Runs the workload; native errors are counted, not thrown (training stops at the first one).</summary>
    public static GcStressResult Run(GcStressOptions options, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var data = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, episodes: 8, firstSeed: 0).Dataset;
        var config = new PolicyRunConfig
        {
            Task = SimTaskKind.Bimodal,
            Policy = new DiffusionPolicyConfig { Unet = new UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 } },
            // KNN k = 2 and data scaling, so the assigner's and the scaling's tensor code is exercised too.
            Noise = new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 2, DataScale = 1.5 },
            Trainer = new TrainerConfig
            {
                Steps = options.TrainingSteps, BatchSize = options.BatchSize, Seed = 5, CheckpointEvery = 0,
                LogEvery = Math.Max(1, options.TrainingSteps / 10),
                Optimizer = new OptimizerConfig { LearningRate = 1e-3, WarmupSteps = 10 },
            },
            InferenceSteps = options.InferenceSteps,
        };
        var errors = new List<string>();
        var dir = Path.Combine(Path.GetTempPath(), $"ip-gcstress-{Guid.NewGuid():N}");
        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        }) { IsBackground = true, Name = "gc-stress collector" };
        if (options.ForceCollections) collector.Start();
        long steps = 0;
        int plans = 0;
        var watch = Stopwatch.StartNew();
        double trainingSeconds = 0;
        try
        {
            TrainedPolicy? policy = null;
            try
            {
                policy = PolicyTraining.Train(config, data, dir, p =>
                {
                    steps = p.Step;
                    progress?.Invoke($"training step {p.Step}/{p.TotalSteps}, forced collections {Interlocked.Read(ref collections)}");
                }, resume: false, cancellationToken: cancellationToken);
                steps = options.TrainingSteps;
            }
            catch (ExternalException e)
            {
                errors.Add($"training, after step {steps}: {FirstLine(e.Message)}");
            }
            trainingSeconds = watch.Elapsed.TotalSeconds;
            watch.Restart();
            if (policy is not null)
            {
                using (policy)
                {
                    var window = new[] { new double[] { 250, 440 }, new double[] { 252, 436 } };
                    for (int i = 0; i < options.Plans; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        try
                        {
                            policy.PlanChunks([window], i, null);
                            plans++;
                        }
                        catch (ExternalException e)
                        {
                            errors.Add($"plan {i}: {FirstLine(e.Message)}");
                        }
                        if ((i + 1) % Math.Max(1, options.Plans / 10) == 0)
                            progress?.Invoke($"plan {i + 1}/{options.Plans}, forced collections {Interlocked.Read(ref collections)}");
                    }
                }
            }
        }
        finally
        {
            stop.Cancel();
            if (options.ForceCollections) collector.Join();
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        return new GcStressResult(steps, plans, Interlocked.Read(ref collections), errors, trainingSeconds, watch.Elapsed.TotalSeconds);
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
