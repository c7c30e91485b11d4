using ImmisciblePolicy.Core.Torch;
using Xunit.Abstractions;

namespace ImmisciblePolicy.Robotics.Tests;

/// <summary>
/// The native-safety proof of docs/design.md "Native safety", shortened for the suite: training and planning while
/// another thread forces full collections and runs finalizers in a tight loop. Before the Scalar lifetimes were
/// fixed, this workload failed with "Expected false to be true ... toFloat"/"Unknown scalar type" within the first
/// 30 training steps in every run (even inside the old no-GC regions, which a forced collection ends). The full
/// 2,000 steps + 10,000 plans run is <c>immiscible bench gc-stress</c>.
/// </summary>
public class GcStressTests(ITestOutputHelper output)
{
    [Fact]
    public void TrainingAndPlanning_UnderForcedCollectionsFromAnotherThread_RaiseNoNativeError()
    {
        TorchRuntime.Configure(1);
        var result = GcStress.Run(new GcStressOptions { TrainingSteps = 150, Plans = 1500 }, output.WriteLine);
        output.WriteLine($"{result.TrainingSteps} steps in {result.TrainingSeconds:F1} s, {result.Plans} plans in {result.PlanningSeconds:F1} s, " +
                         $"{result.ForcedCollections} forced collections");
        Assert.Empty(result.NativeErrors);
        Assert.Equal(150, result.TrainingSteps);
        Assert.Equal(1500, result.Plans);
        // The collector really ran alongside: many full collections per second of work, not a handful.
        Assert.True(result.ForcedCollections > 100, $"only {result.ForcedCollections} forced collections happened");
    }
}
