namespace ImmisciblePolicy.Study.Tests;

public sealed class StudyPresetTests
{
    [Fact]
    public void Full_CoversEveryTaskWithAllSevenMethodsAndThreeSeeds()
    {
        var cells = StudyPresets.Full.Cells();
        StudyTaskKind[] roundOne = [StudyTaskKind.PushT, StudyTaskKind.Bimodal, StudyTaskKind.FashionMnist, StudyTaskKind.FashionMnistLatent];
        Assert.Equal(roundOne.Length * 7 * 3, cells.Count);
        foreach (var task in roundOne)
        {
            var ofTask = cells.Where(c => c.Task == task).ToList();
            Assert.Equal(StudyMethods.All.Select(m => m.Id).Order(), ofTask.Select(c => c.Method.Id).Distinct().Order());
            Assert.All(ofTask.GroupBy(c => c.Method.Id), g => Assert.Equal([0L, 1L, 2L], g.Select(c => c.Seed).Order()));
            // Matched: one budget per task, whatever the method or seed.
            Assert.Single(ofTask.Select(c => c.Budget).Distinct());
        }
    }

    [Fact]
    public void Policy_RunsSixPairingsOnBothMultimodalTasksWithMatchedBudgets()
    {
        var cells = StudyPresets.Policy.Cells();
        // Six pairings on both tasks, and on bimodal also the lambda sweep of observation-aware pairing (amendment 3).
        Assert.Equal((6 + 8) * 5, cells.Count);
        Assert.Equal(["vanilla", "knn2", "knn4", "la", "la-recipe", "obs-aware"], StudyMethods.Policy.Select(m => m.Id));
        Assert.Equal(["obs-aware-0.1", "obs-aware-0.3"], cells.Where(c => c.Task == StudyTaskKind.BimodalSkewed).Select(c => c.Method.Id)
            .Distinct().Except(StudyMethods.Policy.Select(m => m.Id)));
        Assert.DoesNotContain(cells, c => c.Task == StudyTaskKind.PushTMultimodal && c.Method.Id.StartsWith("obs-aware-", StringComparison.Ordinal));
        foreach (var task in new[] { StudyTaskKind.PushTMultimodal, StudyTaskKind.BimodalSkewed })
        {
            var ofTask = cells.Where(c => c.Task == task).ToList();
            Assert.Single(ofTask.Select(c => c.Budget).Distinct());
            Assert.Equal([0L, 1L, 2L, 3L, 4L], ofTask.Select(c => c.Seed).Distinct().Order());
            Assert.True(StudyTasks.IsPolicy(task));
        }
        var pusht = cells.First(c => c.Task == StudyTaskKind.PushTMultimodal).Budget;
        Assert.Equal(0.5, pusht.ModeMix);
        Assert.Equal(Robotics.SimTaskKind.PushT, StudyTasks.SimTask(StudyTaskKind.PushTMultimodal));
        Assert.Equal(Robotics.SimTaskKind.Bimodal, StudyTasks.SimTask(StudyTaskKind.BimodalSkewed));
        Assert.Equal(StudyPresets.BimodalSkewedLeftShare, cells.First(c => c.Task == StudyTaskKind.BimodalSkewed).Budget.ModeMix);
        Assert.Equal(StudyTaskKind.PushTMultimodal, StudyTasks.Parse("pusht-mm"));
    }

    [Fact]
    public void RecipeMethod_WarmsUpForTenPercentOfTheCellsStepsWithAStandardisedCost()
    {
        var recipe = StudyMethods.Parse("la-recipe");
        Assert.Equal(1000, recipe.NoiseFor(10_000).WarmupSteps);
        Assert.Equal(600, recipe.NoiseFor(StudyPresets.Policy.Cells()[0].Budget.Steps).WarmupSteps);
        Assert.Equal(100, recipe.NoiseFor(1000).WarmupSteps);
        Assert.True(recipe.NoiseFor(1000).StandardizeForCost);
        Assert.Equal(Core.Noise.NoiseAssignmentMethod.LinearAssignment, recipe.Noise.Method);
        // Every other method trains paired from the first step.
        Assert.All(StudyMethods.Known.Where(m => m.Id != "la-recipe"), m => Assert.Equal(0, m.NoiseFor(10_000).WarmupSteps));
        var obs = StudyMethods.Parse("obs-aware");
        Assert.Equal(Core.Noise.NoiseAssignmentMethod.ObservationAwareAssignment, obs.Noise.Method);
        Assert.Equal(1.0, obs.Noise.ConditionWeight);
        Assert.Equal(0.3, StudyMethods.Parse("obs-aware-0.3").Noise.ConditionWeight);
        Assert.Equal("obs-aware", StudyMethods.ObservationAwareWeighted(1).Id);
        Assert.False(obs.IsVanilla);
        Assert.All(StudyMethods.Known, m => m.NoiseFor(1000).Validate());
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
        Assert.Contains("quick, full, policy", Assert.Throws<ArgumentException>(() => StudyPresets.Parse("medium")).Message);
        Assert.Contains("ds2-knn4, la-recipe, obs-aware", Assert.Throws<ArgumentException>(() => StudyMethods.Parse("knn3")).Message);
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
