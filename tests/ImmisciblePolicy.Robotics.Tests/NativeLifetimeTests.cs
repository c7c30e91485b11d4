using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Tests.Shared;
using Xunit.Abstractions;

namespace ImmisciblePolicy.Robotics.Tests;

public class NativeLifetimeTests(ITestOutputHelper output)
{
    [Fact]
    public void TrainingAndPlanningPaths_CreateNoTemporaryScalars()
    {
        using var net = PolicyNetworks.ConditionalUnet1D(new UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 });
        var scan = new ScalarLifetimeScan(typeof(PolicyTraining).Assembly, typeof(DiffusionPolicy).Assembly, typeof(DiffusionTrainer<>).Assembly)
            .AddRoots(typeof(PolicyTraining), nameof(PolicyTraining.Train))
            .AddRoots(typeof(TrainedPolicy), nameof(TrainedPolicy.PlanChunks))
            .AddModuleTree(net);
        var findings = scan.Run();
        output.WriteLine($"{scan.MethodsScanned} methods scanned");
        foreach (var f in findings) output.WriteLine(f.ToString());
        Assert.Empty(findings);
    }
}
