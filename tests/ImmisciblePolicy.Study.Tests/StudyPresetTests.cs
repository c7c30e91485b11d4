namespace ImmisciblePolicy.Study.Tests;

public sealed class StudyPresetTests
{
    [Fact]
    public void Full_CoversEveryTaskWithAllSevenMethodsAndThreeSeeds()
    {
        var cells = StudyPresets.Full.Cells();
        Assert.Equal(Enum.GetValues<StudyTaskKind>().Length * 7 * 3, cells.Count);
        foreach (var task in Enum.GetValues<StudyTaskKind>())
        {
            var ofTask = cells.Where(c => c.Task == task).ToList();
            Assert.Equal(StudyMethods.All.Select(m => m.Id).Order(), ofTask.Select(c => c.Method.Id).Distinct().Order());
            Assert.All(ofTask.GroupBy(c => c.Method.Id), g => Assert.Equal([0L, 1L, 2L], g.Select(c => c.Seed).Order()));
            // Matched: one budget per task, whatever the method or seed.
            Assert.Single(ofTask.Select(c => c.Budget).Distinct());
        }
    }

    [Fact]
    public void Presets_HaveUniqueIdsSequentialIndicesValidBudgetsAndAVanillaArmPerTask()
    {
        foreach (var preset in StudyPresets.All)
        {
            var cells = preset.Cells();
            Assert.Equal(cells.Count, cells.Select(c => c.Id).Distinct().Count());
            Assert.Equal(Enumerable.Range(0, cells.Count), cells.Select(c => c.Index));
            Assert.All(cells, c => c.Budget.Validate());
            Assert.All(cells.GroupBy(c => c.Task), g => Assert.Contains(g, c => c.Method.IsVanilla));
            Assert.All(cells, c => Assert.Equal(c, preset.Cell(c.Id)));
            Assert.All(cells, c => Assert.Equal(c, preset.Cell(c.Index)));
        }
    }

    [Fact]
    public void Cells_GroupEveryMethodOfASeedTogether()
    {
        var cells = StudyPresets.Quick.Cells();
        var firstTask = cells.TakeWhile(c => c.Task == cells[0].Task).ToList();
        Assert.Equal(StudyMethods.All.Select(m => m.Id), firstTask.Take(StudyMethods.All.Count).Select(c => c.Method.Id));
        Assert.All(firstTask.Take(StudyMethods.All.Count), c => Assert.Equal(0L, c.Seed));
    }

    [Fact]
    public void Cell_OutOfRangeIndexOrUnknownId_SaysWhatIsValid()
    {
        var count = StudyPresets.Quick.Cells().Count;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => StudyPresets.Quick.Cell(count));
        Assert.Contains($"0..{count - 1}", e.Message);
        var u = Assert.Throws<ArgumentException>(() => StudyPresets.Quick.Cell("pusht-knn3-s0"));
        Assert.Contains("study list --preset quick", u.Message);
        Assert.Contains("quick, full", Assert.Throws<ArgumentException>(() => StudyPresets.Parse("medium")).Message);
        Assert.Contains("ds2-knn4", Assert.Throws<ArgumentException>(() => StudyMethods.Parse("knn3")).Message);
        Assert.Contains("fmnist-latent", Assert.Throws<ArgumentException>(() => StudyTasks.Parse("cifar")).Message);
    }

    [Fact]
    public void Ids_RoundTripThroughParse()
    {
        foreach (var m in StudyMethods.All) Assert.Same(m, StudyMethods.Parse(m.Id.ToUpperInvariant()));
        foreach (var t in Enum.GetValues<StudyTaskKind>()) Assert.Equal(t, StudyTasks.Parse(StudyTasks.Id(t)));
        Assert.Equal("bimodal-ds2-knn4-s2", new StudyCell("x", 0, StudyTaskKind.Bimodal, StudyMethods.Scale2Knn4, 2, new TaskBudget()).Id);
    }

    [Theory]
    [InlineData(600, 100, new long[] { 100, 200, 300, 400, 500, 600 })]
    [InlineData(250, 100, new long[] { 100, 200, 250 })]
    [InlineData(40, 40, new long[] { 40 })]
    public void EvalSteps_AreEveryIntervalAndTheLastStep(long steps, long every, long[] expected) =>
        Assert.Equal(expected, new TaskBudget { Steps = steps, EvalEvery = every }.EvalSteps());

    [Fact]
    public void Budget_Validate_NamesTheBadField()
    {
        Assert.Contains("EvalEvery", Assert.Throws<ArgumentException>(() => new TaskBudget { Steps = 10, EvalEvery = 20 }.Validate()).Message);
        Assert.Contains("Widths", Assert.Throws<ArgumentException>(() => new TaskBudget { Widths = [] }.Validate()).Message);
        Assert.Contains("LearningRate", Assert.Throws<ArgumentException>(() => new TaskBudget { LearningRate = 0 }.Validate()).Message);
    }

    [Fact]
    public void Methods_DifferOnlyInThePairing()
    {
        Assert.True(StudyMethods.Vanilla.IsVanilla);
        Assert.All(StudyMethods.All.Skip(1), m => Assert.False(m.IsVanilla));
        Assert.All(StudyMethods.All, m => m.Noise.Validate());
        Assert.All(StudyMethods.All, m => Assert.Equal(0, m.Noise.WarmupSteps));
        Assert.All(StudyMethods.All, m => Assert.False(m.Noise.StandardizeForCost));
        Assert.Equal([2, 4, 8], StudyMethods.All.Where(m => m.Id.StartsWith("knn", StringComparison.Ordinal)).Select(m => m.Noise.K));
    }
}
