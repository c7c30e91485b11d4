using TorchSharp;

namespace ImmisciblePolicy.Robotics.Tests;

public class TensorLeakTests
{
    [Fact]
    public void TwoThousandTrainingSteps_AndTenThousandPlans_KeepTheLiveTensorCountFlat()
    {
        var dir = TinyPolicies.TempDir("leak");
        try
        {
            // Training: the live count after 2,000 steps equals the count after 1,000 (read inside the
            // run by the checkpoint callback, which runs on this thread between steps).
            long? after1000 = null, after2000 = null;
            var config = TinyPolicies.Config(2000) with { Trainer = TinyPolicies.Config(2000).Trainer with { BatchSize = 8, CheckpointEvery = 1000 } };
            using var policy = PolicyTraining.Train(config, TinyPolicies.Bimodal, dir, onCheckpoint: (step, _) =>
            {
                if (step == 1000) after1000 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                if (step == 2000) after2000 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            });
            Assert.NotNull(after1000);
            Assert.Equal(after1000, after2000);

            // Planning: 10,000 plans in 1,000 batched calls of 10 windows.
            var windows = Enumerable.Range(0, 10).Select(i => new[] { new double[] { 250 + i, 440 }, new double[] { 250 + i, 436 } }).ToArray();
            policy.PlanChunks(windows, 0, 2);
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int call = 0; call < 1000; call++) policy.PlanChunks(windows, call, 2);
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }
}
