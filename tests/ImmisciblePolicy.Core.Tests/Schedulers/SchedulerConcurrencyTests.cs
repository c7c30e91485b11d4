using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Schedulers.ReferenceFormulas;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

public class SchedulerConcurrencyTests
{
    public SchedulerConcurrencyTests() => TorchRuntime.Configure(1);

    /// <summary>A full stochastic sampling run with a fixed, non-oracle denoiser, so every step's numbers matter.</summary>
    private static double[] Run(IDiffusionScheduler scheduler, int steps, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        var x = randn(new long[] { 4, 8 }, generator: g);
        foreach (long t in scheduler.InferenceTimesteps(steps))
        {
            var modelOutput = x.mul(0.3).add(t / 1000.0).sin(); // a smooth stand-in for a network
            x = scheduler.Step(modelOutput, t, x, steps, g);
        }
        return Read(x);
    }

    [Fact]
    public void SharedSchedulers_FourThreads_MatchSequentialResults()
    {
        var schedulers = new IDiffusionScheduler[]
        {
            new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy),
            new DdimScheduler(new DiffusionScheduleConfig { PredictionType = PredictionType.VPrediction }, eta: 0.7),
        };
        foreach (var scheduler in schedulers)
        {
            int steps = scheduler is DdpmScheduler ? 100 : 25;
            var sequential = Enumerable.Range(0, 4).Select(i => Run(scheduler, steps, (ulong)(100 + i))).ToArray();
            var parallel = new double[4][];
            using var start = new Barrier(4);
            var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
            {
                start.SignalAndWait(); // maximise overlap
                parallel[i] = Run(scheduler, steps, (ulong)(100 + i));
            })).ToArray();
            foreach (var th in threads) th.Start();
            foreach (var th in threads) th.Join();
            for (int i = 0; i < 4; i++) AssertClose(sequential[i], parallel[i], 0, $"{scheduler.GetType().Name} thread {i}");
            Assert.NotEqual(sequential[0], sequential[1]); // different seeds really differ
        }
    }
}
