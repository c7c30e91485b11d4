using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Onnx.Tests;

/// <summary>
/// Two tiny policy checkpoints trained for a few dozen steps on bimodal expert demonstrations (seconds): the
/// checkpoint the engine tests load, and a second one of the same shape with other weights.
/// </summary>
public sealed class TinyCheckpoint : IDisposable
{
    public TinyCheckpoint()
    {
        TorchRuntime.Configure(1);
        Root = Path.Combine(Path.GetTempPath(), $"ip-onnx-{Guid.NewGuid():N}");
        var data = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, episodes: 8, firstSeed: 0).Dataset;
        using (PolicyTraining.Train(Config(seed: 3), data, Directory)) { }
        using (PolicyTraining.Train(Config(seed: 4), data, OtherDirectory)) { }
    }

    /// <summary>A U-Net of widths 16/32, 40 steps of KNN training.</summary>
    public static PolicyRunConfig Config(long seed) => new()
    {
        Task = SimTaskKind.Bimodal,
        Policy = new Policy.DiffusionPolicyConfig
        {
            Unet = new Policy.Networks.UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 },
        },
        Noise = new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 2 },
        Trainer = new TrainerConfig
        {
            Steps = 40, BatchSize = 16, Seed = seed, LogEvery = 50,
            Optimizer = new OptimizerConfig { LearningRate = 3e-3, WarmupSteps = 5 },
        },
        InferenceSteps = 10,
    };

    public string Root { get; }

    public string Directory => Path.Combine(Root, "policy");

    public string OtherDirectory => Path.Combine(Root, "other");

    /// <summary>A fresh path under the fixture's root.</summary>
    public string TempFile(string name) => Path.Combine(Root, $"{Guid.NewGuid():N}-{name}");

    /// <summary>Observation windows of the bimodal task (To x Do in task units), one per row.</summary>
    public static double[][][] Windows(int count) => Enumerable.Range(0, count)
        .Select(i => new[] { new double[] { 250 + 3 * i, 440 - i }, new double[] { 251 + 3 * i, 436 - i } })
        .ToArray();

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Root)) System.IO.Directory.Delete(Root, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class TinyCheckpointCollection : ICollectionFixture<TinyCheckpoint>
{
    public const string Name = "tiny checkpoint";
}
