using System.Reflection;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Tests.Shared;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Robotics.Tests;

/// <summary>
/// The IL scan behind docs/design.md "Native safety": no Scalar temporaries on the policy training and planning
/// paths, and proof that the scan finds the patterns it is meant to find.
/// </summary>
public class NativeLifetimeTests(ITestOutputHelper output)
{
    private static readonly Assembly[] Ours =
        [typeof(PolicyTraining).Assembly, typeof(DiffusionPolicy).Assembly, typeof(DiffusionTrainer<>).Assembly];

    [Fact]
    public void TrainingAndPlanningPaths_CreateNoTemporaryScalars()
    {
        using var net = PolicyNetworks.ConditionalUnet1D(new UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 });
        var scan = new ScalarLifetimeScan(Ours)
            .AddRoots(typeof(PolicyTraining), nameof(PolicyTraining.Train))
            .AddRoots(typeof(TrainedPolicy), nameof(TrainedPolicy.PlanChunks))
            .AddModuleTree(net);
        var findings = scan.Run();
        output.WriteLine($"{scan.MethodsScanned} methods scanned");
        foreach (var f in findings) output.WriteLine(f.ToString());
        Assert.Empty(findings);

        // The walk reached every part of a training step and a plan, including code only reachable through
        // interfaces, virtual calls and delegates (the loss lambda, the assigners, the schedulers, the optimizer).
        // Names without generic arguments: DiffusionTrainer<SequenceBatch>.Run( -> DiffusionTrainer.Run(.
        var scanned = scan.ScannedMethodNames.Select(n => System.Text.RegularExpressions.Regex.Replace(n.Split('(')[0], "<[^<>]*>", "") + "(").ToHashSet();
        string[] expected =
        [
            "DiffusionTrainer.Run(", "DiffusionPolicy.ComputeLoss(", "DiffusionPolicy.PredictActionChunk(",
            "KnnNoiseSelector.Assign(", "LinearAssignmentNoise.Assign(", "WarmupNoiseAssigner.Assign(", "DataScaling.Scale(",
            "DdpmScheduler.Step(", "DdimScheduler.Step(", "DiffusionSchedule.AddNoise(", "DiffusionSchedule.TrainingTarget(",
            "AdamW.step(", "EmaModel.Step(", "CosineWarmupSchedule.Apply(",
            "ConditionalUnet1D.forward(", "ConditionalResidualBlock1D.forward(", "Conv1dBlock.forward(", "SinusoidalPosEmb.forward(",
            "Mish.forward(", "Conv1d.forward(", "GroupNorm.forward(", "Linear.forward(", "ConvTranspose1d.forward(", "Sequential.forward(",
        ];
        foreach (var name in expected)
            Assert.True(scanned.Any(s => s.StartsWith(name, StringComparison.Ordinal)), $"the scan never reached {name}...");
    }

    [Fact]
    public void Scan_FindsImplicitConversionsAndUndisposedLocals_AndAcceptsHeldScalars()
    {
        var samples = typeof(ScanSamples);
        var findings = new ScalarLifetimeScan(samples.Assembly).AddRoots(samples, nameof(ScanSamples.Implicit))
            .AddRoots(samples, nameof(ScanSamples.NotDisposed)).AddRoots(samples, nameof(ScanSamples.Operator))
            .AddRoots(samples, nameof(ScanSamples.Held)).AddRoots(samples, nameof(ScanSamples.Static)).Run();
        foreach (var f in findings) output.WriteLine(f.ToString());

        Assert.Contains(findings, f => f.Method.StartsWith("ScanSamples.Implicit(", StringComparison.Ordinal)
            && f.Problem.Contains("Scalar.op_Implicit(Double) is passed to Tensor.mul(Scalar)", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Method.StartsWith("ScanSamples.NotDisposed(", StringComparison.Ordinal)
            && f.Problem.Contains("never disposed", StringComparison.Ordinal));
        // a + b is clean C#; the temporary is TorchSharp's alpha = 1 inside add(Tensor).
        Assert.Contains(findings, f => f.Method.StartsWith("ScanSamples.Operator(", StringComparison.Ordinal)
            && f.Problem.Contains("Tensor.add(Tensor), where Scalar.op_Implicit(Int32) is passed to Tensor.add(Tensor, Scalar)", StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.Method.StartsWith("ScanSamples.Held(", StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.Method.StartsWith("ScanSamples.Static(", StringComparison.Ordinal));
    }

    [Fact]
    public void Scan_FindsTheTemporariesInsideTorchSharpsAdamWAndMish_WhichWeReplaced()
    {
        var findings = new ScalarLifetimeScan(Ours)
            .AddRoots(typeof(TorchSharp.Modules.AdamW), nameof(TorchSharp.Modules.AdamW.step))
            .AddRoots(typeof(TorchSharp.Modules.Mish), nameof(TorchSharp.Modules.Mish.forward))
            .Run();
        foreach (var f in findings) output.WriteLine(f.ToString());
        Assert.Contains(findings, f => f.Method.StartsWith("AdamW.step(", StringComparison.Ordinal) && f.Problem.Contains("op_Implicit(Double)", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Method.StartsWith("Mish.forward(", StringComparison.Ordinal) && f.Problem.Contains("Tensor.softplus(Double, Double)", StringComparison.Ordinal));
    }

    /// <summary>Patterns for the scan's self-test (never run).</summary>
    internal static class ScanSamples
    {
        private static readonly Scalar Half = 0.5.ToScalar();

        public static Tensor Implicit(Tensor x) => x * 0.5;

        public static Tensor NotDisposed(Tensor x)
        {
            var half = 0.5.ToScalar(); // collectable once mul has read its handle
            return x.mul(half);
        }

        public static Tensor Operator(Tensor a, Tensor b) => a + b;

        public static Tensor Held(Tensor x)
        {
            using var half = 0.5.ToScalar();
            return x.mul(half).add(x, Core.Torch.Scalars.One);
        }

        public static Tensor Static(Tensor x) => x.mul(Half);
    }
}
