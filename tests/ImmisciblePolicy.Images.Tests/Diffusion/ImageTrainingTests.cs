using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Diffusion;
using ImmisciblePolicy.Images.Metrics;
using ImmisciblePolicy.Images.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Tests.Diffusion;

public sealed class ImageTrainingTests
{
    public ImageTrainingTests() => TorchRuntime.Configure(1);

    private static ImageRunConfig TinyRun(long steps, NoiseAssignmentMethod method) => new()
    {
        Objective = DiffusionObjective.FlowMatching,
        Unet = new UNet2DConfig { Channels = [8, 16], NormGroups = 4, MiddleAttention = false },
        Noise = new NoiseAssignmentConfig { Method = method, K = 4 },
        Trainer = new TrainerConfig
        {
            Steps = steps, BatchSize = 32, CheckpointEvery = 0, LogEvery = 50,
            Optimizer = new OptimizerConfig { LearningRate = 2e-3, WarmupSteps = 20 },
        },
    };

    [Fact]
    public void Train_FewHundredSteps_BeatsUntrainedOnFrechetDistance()
    {
        var data = SyntheticImages.Bars(512, 16, seed: 1);
        var test = SyntheticImages.Bars(256, 16, seed: 2);
        using var dir = new TempDirectory();
        var classifier = ClassifierTraining.Train(data, new ClassifierConfig { Epochs = 2, BatchSize = 64 });
        Assert.True(ClassifierTraining.Accuracy(classifier, test) > 0.95);

        var (model, history) = ImageTraining.Train(TinyRun(300, NoiseAssignmentMethod.Knn), data, dir.Path);
        Assert.Equal(300, history.Count);
        Assert.True(history.TakeLast(50).Average(h => h.Loss) < history.Take(50).Average(h => h.Loss));

        var options = new SamplingOptions { Steps = 20, GuidanceScale = 1 };
        var trained = ImageEvaluation.Evaluate(model, classifier, test, 128, options, seed: 9, batchSize: 64);
        torch.manual_seed(123);
        using var raw = new UNet2D(model.Config.Unet);
        raw.eval();
        var untrained = ImageEvaluation.Evaluate(new ImageDiffusion(raw, model.Config), classifier, test, 128, options, seed: 9, batchSize: 64);
        Assert.True(trained.FrechetDistance < 0.5 * untrained.FrechetDistance,
            $"trained {trained.FrechetDistance:F3} vs untrained {untrained.FrechetDistance:F3}");
        Assert.NotNull(trained.ClassAccuracy);
        model.Network.Dispose();
    }

    [Fact]
    public void Train_ResumedRun_EqualsUninterruptedRun()
    {
        var data = SyntheticImages.Bars(64, 16, seed: 3);
        var run = TinyRun(6, NoiseAssignmentMethod.LinearAssignment);
        run = run with { Trainer = run.Trainer with { CheckpointEvery = 3, LogEvery = 3 } };
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var (full, fullHistory) = ImageTraining.Train(run, data, a.Path);
        using var stop = new CancellationTokenSource();
        // interrupted after the step-3 checkpoint, then resumed from it
        Assert.ThrowsAny<OperationCanceledException>(() => ImageTraining.Train(run, data, b.Path, p => { if (p.Step == 3) stop.Cancel(); },
            cancellationToken: stop.Token));
        var (resumed, resumedHistory) = ImageTraining.Train(run, data, b.Path);
        Assert.Equal(6, resumedHistory.Count);
        Assert.Equal(fullHistory.Select(h => h.Loss), resumedHistory.Select(h => h.Loss));
        full.Network.Dispose();
        resumed.Network.Dispose();
    }

    [Fact]
    public void Train_ConfigDiffersFromCheckpoint_IsRefused()
    {
        var data = SyntheticImages.Bars(64, 16, seed: 3);
        using var dir = new TempDirectory();
        var (m, _) = ImageTraining.Train(TinyRun(2, NoiseAssignmentMethod.Vanilla), data, dir.Path);
        m.Network.Dispose();
        var e = Assert.Throws<InvalidOperationException>(() => ImageTraining.Train(TinyRun(2, NoiseAssignmentMethod.Knn), data, dir.Path));
        Assert.Contains("different configuration", e.Message);
    }

    [Fact]
    public void ComputeLoss_UsesConfiguredAssigner_AndIsDeterministicPerGenerator()
    {
        torch.manual_seed(0);
        var config = TinyRun(1, NoiseAssignmentMethod.Knn) with { Unet = new UNet2DConfig { ImageSize = 16, Channels = [8, 16], NormGroups = 4, NumClasses = 2 } };
        using var net = new UNet2D(config.Unet);
        var diffusion = new ImageDiffusion(net, config);
        Assert.Equal("knn-k4", diffusion.Assigner.Name);
        using var scope = NewDisposeScope();
        var x0 = rand(4, 1, 16, 16).mul(2).sub(1);
        var y = tensor(new long[] { 0, 1, 0, 1 });
        float L(ulong seed)
        {
            using var g = new Generator(seed);
            return diffusion.ComputeLoss(net, x0, y, g, 0).item<float>();
        }
        Assert.Equal(L(11), L(11));
        Assert.NotEqual(L(11), L(12));
    }

    [Fact]
    public void ObservationAwarePairing_IsRejectedForImageModels_NamingTheAlternatives()
    {
        var config = TinyRun(1, NoiseAssignmentMethod.ObservationAwareAssignment);
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains("policies only", e.Message, StringComparison.Ordinal);
    }
}
