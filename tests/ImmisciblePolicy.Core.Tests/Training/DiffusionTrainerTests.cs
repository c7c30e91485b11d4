using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Training;

public class DiffusionTrainerTests
{
    // A tiny epsilon-prediction denoiser for 2-D points: input [x_t, t/T] -> eps.
    private static nn.Module<Tensor, Tensor> Network(long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(nn.Linear(3, 32), nn.Mish(), nn.Linear(32, 32), nn.Mish(), nn.Linear(32, 2));
    }

    private static readonly float[] Centres = [-0.6f, -0.6f, 0.6f, 0.6f];

    private static float[] Batch(long step, Random random, int size)
    {
        var x = new float[size * 2];
        for (int i = 0; i < size; i++)
        {
            int c = random.Next(2);
            x[2 * i] = Centres[2 * c] + 0.05f * (float)(random.NextDouble() - 0.5);
            x[2 * i + 1] = Centres[2 * c + 1] + 0.05f * (float)(random.NextDouble() - 0.5);
        }
        return x;
    }

    private static DiffusionTrainer<float[]> Trainer(TrainerConfig config, DdpmScheduler scheduler)
    {
        var net = Network(config.Seed);
        var ema = Network(config.Seed + 1);
        return new DiffusionTrainer<float[]>(config, net, ema, (network, batch, g, step) =>
        {
            var x0 = tensor(batch).reshape(-1, 2);                                      // (B, 2)
            var t = randint(0, scheduler.NumTrainTimesteps, [x0.shape[0]], dtype: int64, generator: g); // (B)
            var eps = randn(x0.shape, generator: g);                                  // (B, 2)
            var xt = scheduler.AddNoise(x0, eps, t);
            var input = cat([xt, (t.to(float32) / scheduler.NumTrainTimesteps).unsqueeze(1)], 1); // (B, 3)
            var pred = ((nn.Module<Tensor, Tensor>)network).forward(input);
            return nn.functional.mse_loss(pred, scheduler.TrainingTarget(x0, eps, t));
        }, (step, random) => Batch(step, random, config.BatchSize));
    }

    private static TrainerConfig Config => new()
    {
        Steps = 40, BatchSize = 32, Seed = 7, CheckpointEvery = 0, LogEvery = 10,
        Optimizer = new OptimizerConfig { LearningRate = 3e-3, WarmupSteps = 5 },
    };

    [Fact]
    public void Resume_FromMidRunCheckpoint_ContinuesBitIdentically()
    {
        TorchRuntime.Configure(1);
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        using var whole = Trainer(Config, scheduler);
        whole.Run();

        var dir = Path.Combine(Path.GetTempPath(), "ip-trainer-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var first = Trainer(Config, scheduler))
            {
                first.Run(untilStep: 17);
                CheckpointDirectory.WriteAtomically(dir, first.SaveState);
            }
            using var resumed = Trainer(Config with { Seed = 7 }, scheduler);
            resumed.LoadState(CheckpointDirectory.Resolve(dir)!);
            Assert.Equal(17, resumed.Step);
            resumed.Run();

            Assert.Equal(whole.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
            var a = whole.EmaNetwork.state_dict();
            foreach (var (name, t) in resumed.EmaNetwork.state_dict())
                Assert.True(t.eq(a[name]).all().item<bool>(), $"EMA weight {name} differs after resume");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Training_ReducesLoss_AndKeepsLiveTensorCountFlat()
    {
        TorchRuntime.Configure(1);
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        using var trainer = Trainer(Config with { Steps = 300 }, scheduler);
        trainer.Run(untilStep: 50);
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Run();
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        double early = trainer.History.Take(20).Average(h => h.Loss);
        double late = trainer.History.Skip(260).Average(h => h.Loss);
        Assert.True(late < 0.7 * early, $"loss did not fall: first 20 steps {early:F4}, last 40 steps {late:F4}");
    }

    [Fact]
    public void LoadState_FromDifferentArchitecture_NamesTheTensor()
    {
        TorchRuntime.Configure(1);
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        var dir = Path.Combine(Path.GetTempPath(), "ip-trainer-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var t = Trainer(Config, scheduler)) { t.Run(untilStep: 2); CheckpointDirectory.WriteAtomically(dir, t.SaveState); }
            using var other = nn.Sequential(nn.Linear(3, 16), nn.Mish(), nn.Linear(16, 2));
            var e = Assert.Throws<InvalidDataException>(() =>
                DiffusionTrainer<float[]>.LoadWeights(Path.Combine(dir, "model.safetensors"), "model.", other));
            Assert.Contains("different configuration", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void CheckpointDirectory_FailedWrite_LeavesPreviousCheckpointIntact()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ip-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            CheckpointDirectory.WriteAtomically(dir, d => File.WriteAllText(Path.Combine(d, "a.txt"), "one"));
            Assert.Throws<IOException>(() => CheckpointDirectory.WriteAtomically(dir, d =>
            {
                File.WriteAllText(Path.Combine(d, "a.txt"), "two");
                throw new IOException("disk full");
            }));
            Assert.Equal("one", File.ReadAllText(Path.Combine(dir, "a.txt")));
            Assert.Single(Directory.GetDirectories(Path.GetDirectoryName(dir)!, "*" + Path.GetFileName(dir) + "*"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
