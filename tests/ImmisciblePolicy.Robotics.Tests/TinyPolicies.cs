using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Robotics.Tests;

/// <summary>Tiny configurations that train in seconds, shared by the tests of this project.</summary>
internal static class TinyPolicies
{
    private static readonly Lazy<DemonstrationDataset> BimodalData = new(() =>
        DemonstrationGenerator.Generate(SimTaskKind.Bimodal, episodes: 24, firstSeed: 0).Dataset);

    /// <summary>24 balanced bimodal expert episodes (generated once per test run).</summary>
    public static DemonstrationDataset Bimodal => BimodalData.Value;

    /// <summary>A U-Net of widths 16/32, trained with KNN (k = 2) at a high learning rate.</summary>
    public static PolicyRunConfig Config(long steps, long checkpointEvery = 0) => new()
    {
        Task = SimTaskKind.Bimodal,
        Policy = new Policy.DiffusionPolicyConfig
        {
            Unet = new Policy.Networks.UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 },
        },
        Noise = new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 2 },
        Trainer = new TrainerConfig
        {
            Steps = steps, BatchSize = 32, Seed = 3, CheckpointEvery = checkpointEvery, LogEvery = 50,
            Optimizer = new OptimizerConfig { LearningRate = 3e-3, WarmupSteps = 20 },
        },
        InferenceSteps = 8,
    };

    public static string TempDir(string name)
    {
        TorchRuntime.Configure(1);
        return Path.Combine(Path.GetTempPath(), $"ip-{name}-{Guid.NewGuid():N}");
    }

    public static void Delete(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
