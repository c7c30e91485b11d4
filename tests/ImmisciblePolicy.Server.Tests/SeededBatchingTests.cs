using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Server.Inference;
using Microsoft.Extensions.Logging.Abstractions;
using SamplerKind = ImmisciblePolicy.Robotics.SamplerKind;

namespace ImmisciblePolicy.Server.Tests;

/// <summary>
/// Seeded requests share batches (issue 12, item 1) and batching never changes a reply: every request's noise
/// comes from its own seed, so a batched reply equals the in-process plan of its window alone.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class SeededBatchingTests(TinyPolicyFixture fx, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// Batched and unbatched network calls round differently in float32: libtorch runs a convolution with batch
    /// size 1 on its native kernel and a larger batch on oneDNN (aten/src/ATen/native/ConvUtils.h, use_mkldnn),
    /// and DDIM's x0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar) magnifies that on its first steps. Measured on this
    /// tiny policy: DDPM rows within 2e-6 and DDIM rows within 1.2e-5 of their plans alone, in the normalised
    /// action space ([-1, 1] over the training range) the sampler works in. A wrong seed or a shared generator
    /// moves them by O(1).
    /// </summary>
    private const double Tolerance = 5e-5;

    private void AssertClose(IEnumerable<double> expected, IEnumerable<float> actual, string what)
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Equal(e.Length, a.Length);
        var normalizer = fx.InProcess.ActionNormalizer;
        double worst = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double halfRange = 1 / normalizer.Scale[i % normalizer.Dim];          // task units per normalised unit
            worst = Math.Max(worst, Math.Abs(e[i] - a[i]) / halfRange);
            Assert.True(Math.Abs(e[i] - a[i]) / halfRange <= Tolerance, $"{what}[{i}]: expected {e[i]}, got {a[i]} ({Math.Abs(e[i] - a[i]) / halfRange:E2} normalised)");
        }
        output.WriteLine($"{what}: largest difference {worst:E2} (normalised)");
    }

    private TrainedPolicy Ddpm() => new(fx.InProcess.Config with { Sampler = SamplerKind.Ddpm }, PolicyCheckpoint.Load(fx.CheckpointDirectory).Network,
        fx.InProcess.ObservationNormalizer, fx.InProcess.ActionNormalizer, fx.InProcess.Step);

    [Theory]
    [InlineData(SamplerKind.Ddim, 10)]
    [InlineData(SamplerKind.Ddpm, 20)]
    public void PlanChunks_WithPerWindowSeeds_EachRowEqualsItsPlanAlone(SamplerKind sampler, int steps)
    {
        using var ddpm = sampler == SamplerKind.Ddpm ? Ddpm() : null;
        var policy = ddpm ?? fx.InProcess;
        var windows = new[] { 5, 17, 29, 5 }.Select(fx.Window).ToList();
        long[] seeds = [11, -3, long.MaxValue, 12];                      // window 5 twice with different seeds
        var (actions, chunks) = policy.PlanChunks(windows, seeds, steps);
        for (int b = 0; b < windows.Count; b++)
        {
            var (_, alone) = policy.PlanChunks([windows[b]], seeds[b], steps);
            AssertClose(alone[0].SelectMany(r => r), chunks[b].SelectMany(r => r).Select(v => (float)v), $"row {b}");
        }
        // Same window, different seeds: different plans (the seeds really are per row).
        Assert.NotEqual(chunks[0].SelectMany(r => r), chunks[3].SelectMany(r => r));
        Assert.Equal(policy.Config.Policy.ActionSteps, actions[0].Length);
    }

    [Fact]
    public void PlanChunks_WithPerWindowSeeds_RefusesAMismatchedSeedCount()
    {
        var e = Assert.Throws<ArgumentException>(() => fx.InProcess.PlanChunks([fx.Window(0), fx.Window(1)], [1L], null));
        Assert.Contains("2 windows but 1 seeds", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SamplerKind.Ddim, 10)]
    [InlineData(SamplerKind.Ddpm, 20)]
    public async Task ConcurrentRequestsWithDifferentSeeds_ShareABatch_AndEachEqualsItsPlanAlone(SamplerKind sampler, int steps)
    {
        const int robots = 6;
        // The batch closes when all six are in (MaxBatch = 6); the long window only covers slow arrivals.
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = robots, MaxWaitMs = 2000 });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var requests = Enumerable.Range(0, robots)
            .Select(r => fx.Request(10 + 7 * r, seed: r % 2 == 0 ? 1000 + r : null, session: $"robot-{r}", sampler: sampler, steps: steps)).ToList();
        var replies = await Task.WhenAll(requests.Select(r => client.PlanAsync(r).ResponseAsync));
        Assert.Contains(replies, r => r.Timing.BatchSize > 1);
        using var ddpm = sampler == SamplerKind.Ddpm ? Ddpm() : null;
        var policy = ddpm ?? fx.InProcess;
        for (int r = 0; r < robots; r++)
        {
            long seed = r % 2 == 0 ? 1000 + r : SessionSeed.For($"robot-{r}", 10 + 7 * r);
            Assert.Equal(seed, replies[r].Seed);
            var (_, alone) = policy.PlanChunks([fx.Window(10 + 7 * r)], seed, steps);
            AssertClose(alone[0].SelectMany(x => x), replies[r].Chunk.Values, $"robot {r} (batch of {replies[r].Timing.BatchSize})");
        }
    }

    /// <summary>Issue 12 defect 1, second line of defence: a network that overflows never sends NaN or Inf to a robot.</summary>
    [Fact]
    public async Task NonFiniteActions_FailTheRequestWithPlanningFailed_AndTheWorkerKeepsServing()
    {
        var broken = PolicyCheckpoint.Load(fx.CheckpointDirectory);
        using (TorchSharp.torch.no_grad())
            ((ImmisciblePolicy.Policy.Networks.ConditionalUnet1D)broken.Network).parameters().First().fill_(float.PositiveInfinity);
        using var worker = new InferenceWorker("broken", broken, maxBatch: 4, maxWaitMs: 0, queueCapacity: 8, NullLogger.Instance, torchThreads: 1);
        var input = new PlanInput("s", fx.Window(3), DateTimeOffset.UnixEpoch, 3, SamplerKind.Ddim, 10, 5);
        var e = await Assert.ThrowsAsync<PlanRejectedException>(() => worker.PlanAsync(input, CancellationToken.None));
        Assert.Equal(PlanRejection.PlanningFailed, e.Reason);
        Assert.Contains("non-finite actions", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, worker.Statistics.NonFiniteReplies);
        e = await Assert.ThrowsAsync<PlanRejectedException>(() => worker.PlanAsync(input with { Timestep = 4 }, CancellationToken.None));
        Assert.Equal(2, worker.Statistics.NonFiniteReplies);
    }
}
