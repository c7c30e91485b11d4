namespace ImmisciblePolicy.Study.Tests;

public sealed class StudyReportTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "study-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static readonly TaskBudget Budget = new() { Steps = 300, EvalEvery = 100 };

    /// <summary>A bimodal cell whose score curve is <paramref name="scores"/> at steps 100, 200, 300; 10 s of training per 100 steps.</summary>
    private static CellRecord Cell(StudyMethod method, long seed, double[] scores, bool completed = true, double secondsPer100 = 10) => new()
    {
        Id = $"bimodal-{method.Id}-s{seed}",
        Preset = "test",
        Task = "bimodal",
        Method = method.Id,
        MethodLabel = method.Label,
        Seed = seed,
        Budget = Budget,
        Noise = method.Noise,
        Completed = completed,
        Curve = scores.Select((s, i) => new CurvePoint(100L * (i + 1), secondsPer100 * (i + 1),
            new Dictionary<string, double> { [StudyMetrics.Score] = s, [StudyMetrics.ModeLeft] = 0.5, [StudyMetrics.ModeRight] = 0.5, [StudyMetrics.ModeNone] = 0, [StudyMetrics.ModeTv] = 0.1 * seed })).ToList(),
        Miscibility = new MiscibilityRecord(32, 6.9, method.IsVanilla ? 6.9 : 6.0, method.IsVanilla ? 0 : 13.0, 2.0, 2.0, 0.05, 0.01),
        Bijective = [new BijectiveRecord(0.1, 0.05, 0.1, null), new BijectiveRecord(0.2, 0.1, 0.2, null), new BijectiveRecord(0.3, 0.15, 0.3, null)],
    };

    private static readonly StudyMetric Score = StudyMetrics.Headline.Single(m => m.TaskId == "bimodal");

    [Fact]
    public void Analyse_FindsVanillasBestAndTheStepsEachMethodNeedsToReachIt()
    {
        var knn = StudyMethods.Knn(2);
        var cells = new List<CellRecord>
        {
            Cell(StudyMethods.Vanilla, 0, [0.2, 0.5, 0.6]), Cell(StudyMethods.Vanilla, 1, [0.2, 0.4, 0.6]), Cell(StudyMethods.Vanilla, 2, [0.2, 0.6, 0.6]),
            Cell(knn, 0, [0.3, 0.6, 0.7]), Cell(knn, 1, [0.3, 0.7, 0.8]), Cell(knn, 2, [0.3, 0.5, 0.9], secondsPer100: 12),
        };
        var (best, bestStep, methods) = StudyReport.Analyse(Score, cells);
        Assert.Equal(0.6, best, 12);
        Assert.Equal(300L, bestStep);
        var v = methods.Single(m => m.Method == "vanilla");
        var k = methods.Single(m => m.Method == "knn2");
        Assert.Equal(300L, v.StepsToVanillaBest);
        Assert.Equal(200L, k.StepsToVanillaBest); // mean curve 0.3, 0.6, 0.8
        Assert.Equal([200L, 200L, 300L], k.SeedStepsToVanillaBest);
        Assert.Equal((20 + 20 + 24) / 3.0, k.SecondsToVanillaBest!.Value, 9);
        Assert.Equal(0.8, k.Final.Mean, 12);
        Assert.Equal(0.2, k.FinalDifference.Mean, 12); // paired by seed: 0.1, 0.2, 0.3
        Assert.Equal(4.303 * 0.1 / Math.Sqrt(3), k.FinalDifference.HalfWidth, 9);
        Assert.Equal(0.8, k.Best.Mean, 12);
        Assert.Equal((100 + 100 + 120) / 3.0, k.SecondsPerThousandSteps, 9);
    }

    [Fact]
    public void Analyse_LowerIsBetter_AndNeverReachedIsNull()
    {
        var fd = StudyMetrics.Headline.First(m => m.Key == StudyMetrics.Fd);
        CellRecord Image(StudyMethod m, long seed, double[] values) => Cell(m, seed, values) with
        {
            Id = $"fmnist-{m.Id}-s{seed}",
            Task = "fmnist",
            Curve = values.Select((x, i) => new CurvePoint(100L * (i + 1), i + 1, new Dictionary<string, double> { [StudyMetrics.Fd] = x })).ToList(),
        };
        var cells = new List<CellRecord>
        {
            Image(StudyMethods.Vanilla, 0, [100, 60, 40]), Image(StudyMethods.Vanilla, 1, [100, 50, 50]),
            Image(StudyMethods.LinearAssignment, 0, [90, 70, 60]), Image(StudyMethods.LinearAssignment, 1, [95, 65, 55]),
        };
        var (best, step, methods) = StudyReport.Analyse(fd, cells);
        Assert.Equal(45, best, 12);
        Assert.Equal(300L, step);
        Assert.Null(methods.Single(m => m.Method == "la").StepsToVanillaBest);
    }

    [Fact]
    public void Analyse_WithoutVanillaCells_SaysWhy() =>
        Assert.Contains("vanilla", Assert.Throws<ArgumentException>(() => StudyReport.Analyse(Score, [Cell(StudyMethods.Knn(2), 0, [0.1, 0.2, 0.3])])).Message);

    [Fact]
    public void LoadAndWrite_MergesFoldersAndWritesTablesAndPngPlots()
    {
        // Two "pods" wrote different cells; one cell exists twice (an interrupted copy and the finished one).
        var podA = Path.Combine(_root, "pod-a");
        var podB = Path.Combine(_root, "pod-b");
        CellRecord.Save(Path.Combine(podA, "cells", "bimodal-vanilla-s0"), Cell(StudyMethods.Vanilla, 0, [0.2, 0.5, 0.6]));
        CellRecord.Save(Path.Combine(podA, "cells", "bimodal-knn2-s0"), Cell(StudyMethods.Knn(2), 0, [0.3], completed: false));
        CellRecord.Save(Path.Combine(podB, "cells", "bimodal-knn2-s0"), Cell(StudyMethods.Knn(2), 0, [0.3, 0.6, 0.7]));
        CellRecord.Save(Path.Combine(podB, "cells", "bimodal-vanilla-s1"), Cell(StudyMethods.Vanilla, 1, [0.2, 0.5, 0.6]));

        var records = StudyReport.Load([podA, podB]);
        Assert.Equal(["bimodal-vanilla-s0", "bimodal-vanilla-s1", "bimodal-knn2-s0"], records.Select(r => r.Id));
        Assert.True(records.Single(r => r.Method == "knn2").Completed);

        var path = StudyReport.Write(records, Path.Combine(_root, "out"), "unit");
        var md = File.ReadAllText(path);
        Assert.Contains("# Immiscible training study: `unit`", md);
        Assert.Contains("| KNN k=2 | 1 | 0.700 (n=1) |", md);
        Assert.Contains("| 200 | 1.50× |", md); // vanilla's best 0.6 at step 300; KNN's mean curve reaches it at 200
        Assert.Contains("## Bimodal task: modes at the final step", md);
        Assert.Contains("| bimodal | 32 | 64 | KNN k=2 | 6.900 → 6.000 | 13.00 % |", md);
        Assert.Contains("## Bijective check of the final models", md);
        foreach (var png in new[] { "bimodal-score-steps.png", "bimodal-score-time.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(_root, "out", "study-unit", png));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes.Take(4));
        }
    }

    [Fact]
    public void Write_ModeMixSection_PoolsTheMinorityShareAndAppliesTheCollapseRule()
    {
        // Demonstrations 80 % left / 20 % right; 100 test episodes per cell. Vanilla keeps right at 18 % and 22 %
        // (pooled 40/200 = 20 %: no collapse); LA keeps 2 % and 4 % (pooled 6/200 = 3 % < 10 %, Wilson upper bound
        // 6.4 % < 20 %: collapse). TV to demonstrations: |share_left/classified - 0.8|.
        var budget = new TaskBudget { Steps = 100, EvalEvery = 100, EvalEpisodes = 100 };
        CellRecord Mix(StudyMethod m, long seed, double right, double tv) => new()
        {
            Id = $"bimodal-skew-{m.Id}-s{seed}", Preset = "test", Task = "bimodal-skew", Method = m.Id, MethodLabel = m.Label, Seed = seed,
            Budget = budget, Noise = m.Noise, Completed = true,
            Curve = [new CurvePoint(100, 1, new Dictionary<string, double>
            {
                [StudyMetrics.Score] = 1, [StudyMetrics.ModeShare("left")] = 1 - right, [StudyMetrics.ModeShare("right")] = right,
                [StudyMetrics.ModeShare("none")] = 0, [StudyMetrics.ModeTvDemo] = tv,
                [StudyMetrics.DemonstrationShare("left")] = 0.8, [StudyMetrics.DemonstrationShare("right")] = 0.2,
            })],
        };
        var records = new List<CellRecord>
        {
            Mix(StudyMethods.Vanilla, 0, 0.18, 0.02), Mix(StudyMethods.Vanilla, 1, 0.22, 0.02),
            Mix(StudyMethods.LinearAssignment, 0, 0.02, 0.18), Mix(StudyMethods.LinearAssignment, 1, 0.04, 0.16),
        };
        var md = File.ReadAllText(StudyReport.Write(records, Path.Combine(_root, "mix"), "mix"));
        Assert.Contains("## bimodal-skew: modes at the final step", md);
        Assert.Contains("minority mode **right**", md);
        Assert.Contains("| vanilla | 2 | 80.0 % | 20.0 % | 0.0 % | 20.0 % [", md);
        Assert.Contains("(40/200) | 0.020 ± 0.000 (n=2) | – | no |", md);
        // Paired TV differences 0.16 and 0.14: mean 0.15, half-width 12.706 * 0.01414 / sqrt(2) = 0.127.
        Assert.Contains("| linear assignment | 2 | 97.0 % | 3.0 % | 0.0 % | 3.0 % [", md);
        Assert.Contains("(6/200) | 0.170 ± 0.127 (n=2) | 0.150 ± 0.127 (n=2) * | **yes** |", md);
    }

    [Fact]
    public void Load_NamesAMissingFolderAndACorruptRecord()
    {
        Assert.Contains("nowhere", Assert.Throws<DirectoryNotFoundException>(() => StudyReport.Load([Path.Combine(_root, "nowhere")])).Message);
        var dir = Path.Combine(_root, "cells", "bad");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, CellRecord.FileName), "{ not json");
        Assert.Contains(Path.Combine(dir, CellRecord.FileName), Assert.Throws<InvalidDataException>(() => StudyReport.Load([_root])).Message);
    }

    [Fact]
    public void CellRecord_RoundTripsThroughJson()
    {
        var record = Cell(StudyMethods.Scale2Knn4, 2, [0.1, 0.2, 0.3]);
        var dir = Path.Combine(_root, "rt");
        CellRecord.Save(dir, record);
        var back = CellRecord.Load(dir)!;
        Assert.Equal(record.Noise, back.Noise);
        Assert.Equal(record.Curve.Select(p => (p.Step, p.TrainSeconds, p.Metrics[StudyMetrics.Score])), back.Curve.Select(p => (p.Step, p.TrainSeconds, p.Metrics[StudyMetrics.Score])));
        Assert.Equal(record.Bijective, back.Bijective);
        Assert.Equal(record.Miscibility, back.Miscibility);
        Assert.Equal(record.Budget.Widths, back.Budget.Widths);
        Assert.False(File.Exists(Path.Combine(dir, CellRecord.FileName + ".tmp")));
        Assert.Null(CellRecord.Load(Path.Combine(_root, "empty")));
    }
}
