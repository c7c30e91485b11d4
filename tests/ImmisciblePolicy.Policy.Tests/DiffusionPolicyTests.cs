using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Policy.Tests.Fakes;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests;

public class DiffusionPolicyTests
{
    public DiffusionPolicyTests() => TorchRuntime.Configure(1);

    // Do = 3, Da = 2, To = 2, Tp = 8, Ta = 4 on a narrow three-level U-Net.
    private static readonly DiffusionPolicyConfig Config = new()
    {
        ObsDim = 3, ActionDim = 2, ObsSteps = 2, Horizon = 8, ActionSteps = 4,
        Unet = new UnetConfig { InputDim = 2, GlobalCondDim = 6, DiffusionStepEmbedDim = 16, DownDims = [16, 32, 64] },
    };

    private static (DiffusionPolicy Policy, FakeScheduler Scheduler, FakeNoiseAssigner Assigner) Build()
    {
        var scheduler = new FakeScheduler();
        var assigner = new FakeNoiseAssigner();
        return (new DiffusionPolicy(PolicyNetworks.ConditionalUnet1D(Config.Unet), scheduler, assigner, Config), scheduler, assigner);
    }

    private static (Tensor Obs, Tensor Actions) Batch(int b, ulong seed)
    {
        var g = new Generator(seed);
        return (randn([b, 2, 3], generator: g), randn([b, 8, 2], generator: g).clamp(-1, 1));
    }

    [Fact]
    public void ComputeLoss_IsTheMseToTheSchedulerTarget_WithAssignerNoiseThenUniformTimesteps()
    {
        using var scope = NewDisposeScope();
        var (policy, _, assigner) = Build();
        var (obs, actions) = Batch(4, 1);
        var loss = policy.ComputeLoss(obs, actions, new Generator(42), step: 7);

        // Recompute with the documented draw order: the assigner's noise, then timesteps in [0, T).
        var g = new Generator(42);
        var noise = randn([4, 8, 2], generator: g);
        var t = randint(0, 10, [4], dtype: int64, generator: g);
        var noisy = actions + noise * FakeScheduler.Scale(t);
        var prediction = policy.Model.forward(noisy, t, obs.reshape(4, 6));
        var target = noise - 0.5f * actions;
        var expected = (prediction - target).square().mean();
        Assert.Equal(expected.item<float>(), loss.item<float>(), 6);
        Assert.Empty(loss.shape);
        var call = assigner.Calls.Single();
        Assert.Equal([4L, 8L, 2L], call.Shape);                 // the clean action chunk is what gets paired
        Assert.Equal(7L, call.Step);
    }

    private sealed class RecordingConditionalAssigner : Core.Noise.IConditionalNoiseAssigner
    {
        public float[]? Condition { get; private set; }
        public string Name => "recording-conditional";
        public Tensor Assign(Tensor x0, Generator? generator, long step = 0) => throw new InvalidOperationException("needs a condition");
        public Tensor Assign(Tensor x0, Tensor condition, Generator? generator, long step = 0)
        {
            Condition = condition.contiguous().data<float>().ToArray();
            return randn(x0.shape, dtype: x0.dtype, generator: generator);
        }
    }

    [Fact]
    public void ComputeLoss_GivesConditionalAssignersTheFlattenedObservationWindow()
    {
        using var scope = NewDisposeScope();
        var assigner = new RecordingConditionalAssigner();
        var policy = new DiffusionPolicy(PolicyNetworks.ConditionalUnet1D(Config.Unet), new FakeScheduler(), assigner, Config);
        var (obs, actions) = Batch(4, 5);
        policy.ComputeLoss(obs, actions, new Generator(1));
        Assert.Equal(obs.reshape(4, 6).contiguous().data<float>().ToArray(), assigner.Condition);
    }

    [Fact]
    public void ComputeLoss_TimestepsCoverZeroToTMinusOne()
    {
        using var scope = NewDisposeScope();
        var (policy, scheduler, _) = Build();
        var (obs, actions) = Batch(256, 2);
        policy.ComputeLoss(obs, actions, new Generator(3));
        var t = scheduler.AddNoiseTimesteps.Single();
        Assert.Equal(256, t.Length);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), t.Distinct().Order());
    }

    [Fact]
    public void ComputeLoss_SameSeedSameLoss_OtherSeedOtherLoss()
    {
        using var scope = NewDisposeScope();
        var (policy, _, _) = Build();
        var (obs, actions) = Batch(8, 4);
        float a = policy.ComputeLoss(obs, actions, new Generator(5)).item<float>();
        float b = policy.ComputeLoss(obs, actions, new Generator(5)).item<float>();
        float c = policy.ComputeLoss(obs, actions, new Generator(6)).item<float>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ComputeLoss_BackpropagatesToEveryModelParameter()
    {
        using var scope = NewDisposeScope();
        var (policy, _, _) = Build();
        var (obs, actions) = Batch(4, 7);
        policy.ComputeLoss(obs, actions, new Generator(8)).backward();
        Assert.All(policy.Model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void ComputeLoss_WithWrongHorizonOrNaN_NamesTheArgument()
    {
        using var scope = NewDisposeScope();
        var (policy, _, _) = Build();
        var (obs, actions) = Batch(2, 9);
        var e = Assert.Throws<ArgumentException>(() => policy.ComputeLoss(obs, zeros(2, 7, 2), new Generator(1)));
        Assert.Equal("actions", e.ParamName);
        Assert.Contains("(2, 7, 2)", e.Message, StringComparison.Ordinal);
        obs[0, 0, 0] = tensor(float.NaN);
        Assert.Equal("obsWindow", Assert.Throws<ArgumentException>(() => policy.ComputeLoss(obs, actions, new Generator(1))).ParamName);
    }

    [Fact]
    public void PredictActionChunk_ReturnsChunkAndActionsFromIndexToMinusOne()
    {
        using var scope = NewDisposeScope();
        var (policy, scheduler, _) = Build();
        var (obs, _) = Batch(3, 10);
        var result = policy.PredictActionChunk(obs, numInferenceSteps: 5, new Generator(11));
        Assert.Equal([3L, 8L, 2L], result.Chunk.shape);
        Assert.Equal([3L, 4L, 2L], result.Actions.shape);
        Assert.True(result.Actions.eq(result.Chunk[.., 1..5]).all().item<bool>());
        Assert.False(result.Chunk.requires_grad);
        Assert.Equal(scheduler.InferenceTimesteps(5), scheduler.Steps.Select(s => s.Timestep));
        Assert.All(scheduler.Steps, s => Assert.Equal(5, s.NumInferenceSteps));
    }

    [Fact]
    public void PredictActionChunk_StartsFromStandardNormalNoiseOfTheGenerator()
    {
        using var scope = NewDisposeScope();
        var (policy, _, _) = Build();
        using (no_grad())
        {
            // A zero last layer makes the model output 0, so the fake step leaves the initial noise untouched.
            policy.Model.FinalProjection.weight!.zero_();
            policy.Model.FinalProjection.bias!.zero_();
        }
        var (obs, _) = Batch(2, 12);
        var result = policy.PredictActionChunk(obs, numInferenceSteps: 3, new Generator(13));
        var expected = randn([2, 8, 2], generator: new Generator(13));
        Assert.True(result.Chunk.eq(expected).all().item<bool>());
    }

    [Fact]
    public void PredictActionChunk_DependsOnTheObservation()
    {
        using var scope = NewDisposeScope();
        var (policy, _, _) = Build();
        var (obs, _) = Batch(1, 14);
        var a = policy.PredictActionChunk(obs, 4, new Generator(15)).Chunk;
        var b = policy.PredictActionChunk(obs + 1f, 4, new Generator(15)).Chunk;
        Assert.False(allclose(a, b));
    }

    [Fact]
    public void RepeatedSteps_KeepTheLiveTensorCountFlat()
    {
        var (policy, _, _) = Build();
        var (obs, actions) = Batch(4, 16);
        long LiveAfter(int iterations)
        {
            for (int i = 0; i < iterations; i++)
            {
                using (NewDisposeScope())                                       // ComputeLoss runs in the step's scope
                    policy.ComputeLoss(obs, actions, new Generator((ulong)i)).backward();
                var prediction = policy.PredictActionChunk(obs, 3, new Generator((ulong)i)); // no outer scope: it owns one
                prediction.Actions.Dispose();
                prediction.Chunk.Dispose();
            }
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }
        long warm = LiveAfter(3);
        long later = LiveAfter(20);
        Assert.True(later <= warm, $"live tensors grew from {warm} to {later} over 20 steps");
        obs.Dispose();
        actions.Dispose();
    }

    [Fact]
    public void PredictActionChunk_WithWrongObsWindow_NamesTheShape()
    {
        using var scope = NewDisposeScope();
        var (policy, _, _) = Build();
        var e = Assert.Throws<ArgumentException>(() => policy.PredictActionChunk(zeros(2, 3, 3), 2, new Generator(1)));
        Assert.Equal("obsWindow", e.ParamName);
        Assert.Contains("(2, 3, 3)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.PredictActionChunk(zeros(2, 2, 3), 0, new Generator(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.PredictActionChunk(zeros(2, 2, 3), 11, new Generator(1)));
    }

    [Fact]
    public void Constructor_WithModelOfAnotherConfig_Throws()
    {
        using var model = PolicyNetworks.ConditionalUnet1D(Config.Unet with { DownDims = [16, 32] });
        var e = Assert.Throws<ArgumentException>(() => new DiffusionPolicy(model, new FakeScheduler(), new FakeNoiseAssigner(), Config));
        Assert.Contains("DownDims = [16, 32]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_Defaults_ArePushTLowDim_AndConsistent()
    {
        var c = new DiffusionPolicyConfig();
        c.Validate();
        Assert.Equal((20, 2, 2, 16, 8), (c.ObsDim, c.ActionDim, c.ObsSteps, c.Horizon, c.ActionSteps));
        Assert.Equal(c.ObsSteps * c.ObsDim, c.Unet.GlobalCondDim);
    }

    [Fact]
    public void Config_WithActionsPastTheHorizon_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => (Config with { ActionSteps = 8 }).Validate());
        Assert.Equal("ActionSteps", e.ParamName);
        Assert.Throws<ArgumentException>(() => (Config with { ObsDim = 4 }).Validate());
    }
}
