using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Training;

public class AdamWTests
{
    public AdamWTests() => TorchRuntime.Configure(1);

    /// <summary>A small network with a conv, a norm and a linear layer, weights from <paramref name="seed"/>.</summary>
    private static Sequential Network(long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(nn.Conv1d(3, 8, 3, padding: 1), nn.GroupNorm(2, 8), nn.Flatten(), nn.Linear(8 * 6, 2));
    }

    private static void CopyWeights(nn.Module from, nn.Module to)
    {
        using var noGrad = no_grad();
        var source = from.parameters().ToList();
        var target = to.parameters().ToList();
        for (int i = 0; i < source.Count; i++) target[i].copy_(source[i]);
    }

    /// <summary>One optimiser step on a batch drawn from <paramref name="step"/>'s seed, with the cosine schedule's rate.</summary>
    private static void Train(nn.Module<Tensor, Tensor> net, torch.optim.Optimizer optimizer, CosineWarmupSchedule schedule, int step)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)(1000 + step));
        var x = randn([16, 3, 6], generator: g);
        var y = randn([16, 2], generator: g);
        schedule.Apply(optimizer, step);
        optimizer.zero_grad();
        nn.functional.mse_loss(net.forward(x), y).backward();
        optimizer.step();
    }

    /// <summary>Same shape, dtype and bytes.</summary>
    private static bool BitEqual(Tensor a, Tensor b)
    {
        using var ca = a.detach().contiguous();
        using var cb = b.detach().contiguous();
        return a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && ca.bytes.SequenceEqual(cb.bytes);
    }

    private static void AssertBitIdentical(nn.Module a, nn.Module b, string when)
    {
        var pa = a.parameters().ToList();
        var pb = b.parameters().ToList();
        for (int i = 0; i < pa.Count; i++)
            Assert.True(BitEqual(pa[i], pb[i]), $"{when}: parameter {i} differs (max |diff| {(pa[i] - pb[i]).abs().max().item<float>()})");
    }

    [Fact]
    public void Step_IsBitIdenticalToTorchSharpsAdamW_OverManySteps()
    {
        var config = new OptimizerConfig { LearningRate = 3e-3, WarmupSteps = 20, WeightDecay = 1e-2 };
        using var ours = Network(1);
        using var theirs = Network(2);
        CopyWeights(ours, theirs);
        using var ourOptimizer = config.CreateAdamW(ours.parameters());
        using var theirOptimizer = torch.optim.AdamW(theirs.parameters(), config.LearningRate, config.Beta1, config.Beta2, config.Eps, config.WeightDecay);
        Assert.IsType<Core.Training.AdamW>(ourOptimizer);
        var schedule = config.CreateSchedule(300);
        for (int step = 0; step < 300; step++)
        {
            Train(ours, ourOptimizer, schedule, step);
            Train(theirs, theirOptimizer, schedule, step);
        }
        AssertBitIdentical(ours, theirs, "after 300 steps");
        // The moments too: the state is the base class's and must hold the same values.
        var ourState = ourOptimizer.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        var theirState = theirOptimizer.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        for (int i = 0; i < ourState.Count; i++)
        {
            Assert.Equal(theirState[i].step, ourState[i].step);
            Assert.True(BitEqual(ourState[i].exp_avg, theirState[i].exp_avg), $"exp_avg {i}");
            Assert.True(BitEqual(ourState[i].exp_avg_sq, theirState[i].exp_avg_sq), $"exp_avg_sq {i}");
        }
        Assert.True(ourState[0].step == 300);
    }

    [Fact]
    public void SavedState_IsInterchangeableWithTorchSharpsAdamW()
    {
        var config = new OptimizerConfig { LearningRate = 1e-3, WarmupSteps = 5 };
        var schedule = config.CreateSchedule(40);
        var path = Path.Combine(Path.GetTempPath(), $"ip-adamw-{Guid.NewGuid():N}.bin");
        try
        {
            using var ours = Network(3);
            using var ourOptimizer = config.CreateAdamW(ours.parameters());
            for (int step = 0; step < 20; step++) Train(ours, ourOptimizer, schedule, step);
            ourOptimizer.save_state_dict(path);

            // Resume the same run once with TorchSharp's optimiser and once with ours: both continue identically.
            using var theirs = Network(4);
            CopyWeights(ours, theirs);
            using var theirOptimizer = torch.optim.AdamW(theirs.parameters(), config.LearningRate, config.Beta1, config.Beta2, config.Eps, config.WeightDecay);
            theirOptimizer.load_state_dict(path);
            using var resumed = Network(5);
            CopyWeights(ours, resumed);
            using var resumedOptimizer = config.CreateAdamW(resumed.parameters());
            resumedOptimizer.load_state_dict(path);
            for (int step = 20; step < 40; step++)
            {
                Train(ours, ourOptimizer, schedule, step);
                Train(theirs, theirOptimizer, schedule, step);
                Train(resumed, resumedOptimizer, schedule, step);
            }
            AssertBitIdentical(ours, theirs, "TorchSharp's AdamW resumed from our state");
            AssertBitIdentical(ours, resumed, "our AdamW resumed from our state");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Step_SkipsParametersWithoutGradient_AndRejectsAClosure()
    {
        using var net = Network(6);
        using var optimizer = new OptimizerConfig().CreateAdamW(net.parameters());
        var before = net.parameters().Select(p => p.detach().clone()).ToList();
        optimizer.step(); // no backward yet: every grad is null, nothing moves
        var after = net.parameters().ToList();
        for (int i = 0; i < before.Count; i++) Assert.True(BitEqual(before[i], after[i]));
        Assert.All(optimizer.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>(), s => Assert.Equal(0, s.step));
        var error = Assert.Throws<NotSupportedException>(() => optimizer.step(() => tensor(0f)));
        Assert.Contains("closure", error.Message, StringComparison.Ordinal);
    }
}
