using ImmisciblePolicy.Images.Data;

namespace ImmisciblePolicy.Study.Tests;

/// <summary>Real cells at toy budgets: they train, score, analyse, and resume exactly after an interruption.</summary>
public sealed class CellRunnerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "study-cells-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static readonly TaskBudget Tiny = new()
    {
        Steps = 40, EvalEvery = 20, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 5, Widths = [16, 32], StepEmbedDim = 16,
        DemoEpisodes = 6, EvalEpisodes = 4, BijectiveItems = 4, MiscibilityRepeats = 2,
    };

    private static StudyCell Bimodal(StudyMethod method, TaskBudget? budget = null) => new("test", 0, StudyTaskKind.Bimodal, method, 3, budget ?? Tiny);

    [Fact]
    public void PolicyCell_TrainsScoresAndAnalyses()
    {
        var record = CellRunner.Run(Bimodal(StudyMethods.Knn(4)), _root);
        Assert.True(record.Completed);
        Assert.Equal([20L, 40L], record.Curve.Select(p => p.Step));
        Assert.All(record.Curve, p => Assert.InRange(p.Metrics[StudyMetrics.Score], 0, 1));
        Assert.All(record.Curve, p => Assert.Equal(1.0, p.Metrics[StudyMetrics.ModeLeft] + p.Metrics[StudyMetrics.ModeRight] + p.Metrics[StudyMetrics.ModeNone], 9));
        Assert.True(record.Curve[1].TrainSeconds > record.Curve[0].TrainSeconds);
        var m = Assert.IsType<MiscibilityRecord>(record.Miscibility);
        Assert.Equal(16 * 2, m.Dimension); // Tp x Da
        Assert.True(m.AssignedPairDistance < m.VanillaPairDistance, $"KNN must shorten pairs: {m.AssignedPairDistance} vs {m.VanillaPairDistance}");
        Assert.Equal([0.1, 0.2, 0.3], record.Bijective.Select(b => b.Perturbation));
        Assert.All(record.Bijective, b => Assert.True(b.RmsChange > 0 && double.IsFinite(b.RmsChange)));
        Assert.Equal(1, record.Attempts);

        // A finished cell is not run again.
        var again = CellRunner.Run(Bimodal(StudyMethods.Knn(4)), _root);
        Assert.Equal(1, again.Attempts);
    }

    [Fact]
    public void InterruptedCell_ResumesToTheCurveOfAnUninterruptedRun()
    {
        var cell = Bimodal(StudyMethods.LinearAssignment);
        var straight = CellRunner.Run(cell, Path.Combine(_root, "straight"));

        var interrupted = Path.Combine(_root, "interrupted");
        using (var cts = new CancellationTokenSource())
        {
            // Stop as soon as the first point is scored (mid-training, after its checkpoint).
            Assert.ThrowsAny<OperationCanceledException>(() => CellRunner.Run(cell, interrupted,
                message => { if (message.Contains("step 20:", StringComparison.Ordinal)) cts.Cancel(); }, cancellationToken: cts.Token));
        }
        var partial = CellRecord.Load(CellRunner.CellDirectory(interrupted, cell))!;
        Assert.False(partial.Completed);
        Assert.Equal([20L], partial.Curve.Select(p => p.Step));

        var resumed = CellRunner.Run(cell, interrupted);
        Assert.True(resumed.Completed);
        Assert.Equal(2, resumed.Attempts);
        Assert.Equal(straight.Curve.Select(p => p.Step), resumed.Curve.Select(p => p.Step));
        Assert.Equal(straight.Curve.Select(p => p.Metrics[StudyMetrics.Score]), resumed.Curve.Select(p => p.Metrics[StudyMetrics.Score]));
        Assert.Equal(straight.Bijective.Select(b => b.RmsChange), resumed.Bijective.Select(b => b.RmsChange));
    }

    [Fact]
    public void CellFolderOfAnotherDesign_IsRefusedWithAClearMessage()
    {
        var cell = Bimodal(StudyMethods.Vanilla, Tiny with { Steps = 20 });
        CellRecord.Save(CellRunner.CellDirectory(_root, cell), new CellRecord
        {
            Id = cell.Id, Preset = "test", Task = "bimodal", Method = "vanilla", MethodLabel = "vanilla", Seed = 3, Budget = Tiny, Noise = cell.Method.Noise,
        });
        var e = Assert.Throws<InvalidOperationException>(() => CellRunner.Run(cell, _root));
        Assert.Contains("delete the folder", e.Message);
    }

    [Fact]
    public void ImageCells_PixelAndLatent_ScoreFdInpaintingAndBijective()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DefaultDirectory, "t10k-images-idx3-ubyte.gz")))
            Assert.Fail($"Fashion-MNIST is missing from {FashionMnist.DefaultDirectory}: apt-get install dataset-fashion-mnist");
        var budget = new TaskBudget
        {
            Steps = 4, EvalEvery = 4, BatchSize = 8, LearningRate = 1e-3, WarmupSteps = 1, Widths = [8, 16], TrainImages = 256,
            EvalSamples = 20, SampleSteps = 2, AutoencoderSteps = 3, ClassifierEpochs = 1, BijectiveItems = 4, MiscibilityRepeats = 2,
        };
        var pixel = CellRunner.Run(new StudyCell("test", 0, StudyTaskKind.FashionMnist, StudyMethods.Knn(8), 0, budget), _root);
        Assert.True(pixel.Completed);
        var point = Assert.Single(pixel.Curve);
        foreach (var key in new[] { StudyMetrics.Fd, StudyMetrics.InpaintFd, StudyMetrics.InpaintMse, StudyMetrics.ClassAccuracy })
            Assert.True(double.IsFinite(point.Metrics[key]) && point.Metrics[key] >= 0, $"{key} = {point.Metrics[key]}");
        Assert.Equal(784, pixel.Miscibility!.Dimension);
        Assert.All(pixel.Bijective, b => Assert.InRange(b.LabelFlipRate!.Value, 0, 1));

        var latent = CellRunner.Run(new StudyCell("test", 0, StudyTaskKind.FashionMnistLatent, StudyMethods.Vanilla, 0, budget), _root);
        Assert.True(latent.Completed);
        Assert.False(Single(latent).ContainsKey(StudyMetrics.InpaintFd));
        Assert.Equal(4 * 7 * 7, latent.Miscibility!.Dimension);
        Assert.Equal(0, latent.Miscibility.ReductionPercent, 9); // vanilla pairs exactly the vanilla draw
        Assert.True(Directory.Exists(Path.Combine(CellRunner.CellDirectory(_root, new StudyCell("test", 0, StudyTaskKind.FashionMnistLatent, StudyMethods.Vanilla, 0, budget)), "autoencoder")));
    }

    private static IReadOnlyDictionary<string, double> Single(CellRecord r) => Assert.Single(r.Curve).Metrics;
}
