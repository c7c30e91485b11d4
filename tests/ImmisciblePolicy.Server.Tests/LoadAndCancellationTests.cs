using System.Diagnostics;
using Grpc.Core;
using Xunit.Abstractions;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Server.Inference;
using SamplerKind = ImmisciblePolicy.Robotics.SamplerKind;

namespace ImmisciblePolicy.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class LoadAndCancellationTests(TinyPolicyFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task ConcurrentClients_32x200_AllSucceed_AndShareBatches()
    {
        const int clients = 32, plansEach = 200;
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = 32, MaxWaitMs = 2 });
        var watch = Stopwatch.StartNew();
        var maxBatch = 0;
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var channel = TinyPolicyFixture.Channel(server);
            var client = TinyPolicyFixture.Client(channel);
            int ok = 0;
            for (int i = 0; i < plansEach; i++)
            {
                var reply = await client.PlanAsync(fx.Request(c * plansEach + i, session: $"robot-{c}"));
                if (reply.Actions.Count == 8 && reply.Actions.All(a => a.Values.Count == 2 && a.Values.All(float.IsFinite))
                    && reply.ObservationTimestep == c * plansEach + i)
                    ok++;
                InterlockedMax(ref maxBatch, reply.Timing.BatchSize);
            }
            return ok;
        })));
        output.WriteLine($"{clients * plansEach} plans in {watch.Elapsed.TotalSeconds:F1} s, largest batch {maxBatch}");
        Assert.Equal(clients * plansEach, results.Sum());
        Assert.True(maxBatch > 1, $"concurrent unseeded requests should share batches; largest batch was {maxBatch}");
    }

    [Fact]
    public async Task ManyBatchedPlans_KeepTheWorkersLiveTensorCountFlat()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        var worker = server.Registry.Find(TinyPolicyFixture.PolicyId)!.Worker;
        async Task Burst(int clients, int plans) => await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var channel = TinyPolicyFixture.Channel(server);
            var client = TinyPolicyFixture.Client(channel);
            for (int i = 0; i < plans; i++) await client.PlanAsync(fx.Request(i, session: $"leak-{c}"));
        })));
        await Burst(4, 10);
        long before = worker.LiveTensorsAfterLastBatch;
        await Burst(8, 60);                                               // 480 plans in batches of varying size
        Assert.Equal(before, worker.LiveTensorsAfterLastBatch);
    }

    [Fact]
    public async Task UnseededPlan_AloneInItsBatch_UsesTheSessionSeed()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var reply = await TinyPolicyFixture.Client(channel).PlanAsync(fx.Request(21, seed: null, session: "arm-3"));
        long seed = SessionSeed.For("arm-3", 21);
        Assert.Equal(seed, reply.Seed);
        var (actions, _) = fx.InProcess.PlanChunks([fx.Window(21)], seed, null);
        Assert.Equal(actions[0].SelectMany(r => r).Select(v => (float)v), reply.Actions.SelectMany(a => a.Values));
    }

    [Fact]
    public async Task CancelledRequests_LeaveTheQueue_AndAreNeverPlanned()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = 1 });
        var worker = server.Registry.Find(TinyPolicyFixture.PolicyId)!.Worker;
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var slow = StartSlow(client, 30);
        // The doomed requests queue behind all the slow ones, so none of them can have started.
        await WaitUntil(() => worker.QueueDepth >= 25, "the slow requests to queue");
        using var cancel = new CancellationTokenSource();
        var doomed = Enumerable.Range(0, 10)
            .Select(i => client.PlanAsync(fx.Request(1000 + i, seed: 1), cancellationToken: cancel.Token).ResponseAsync).ToList();
        await WaitUntil(() => worker.QueueDepth >= 35, "the doomed requests to queue");
        int before = worker.QueueDepth;
        await cancel.CancelAsync();
        foreach (var d in doomed)
            Assert.Equal(StatusCode.Cancelled, (await Assert.ThrowsAsync<RpcException>(() => d)).StatusCode);
        // Removed at once: the queue shrank by the 10 cancelled requests while the slow ones still run.
        await WaitUntil(() => worker.QueueDepth <= before - 10, "the cancelled requests to leave the queue");
        Assert.True(slow.Any(s => !s.IsCompleted), "the slow requests finished too early for the check to mean anything");
        await Task.WhenAll(slow);
        Assert.Equal(30, worker.Statistics.TakeWindow().Batches);       // only the slow ones were ever planned
    }

    [Fact]
    public async Task ExpiredDeadline_IsDeadlineExceeded_AndNeverPlanned()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = 1 });
        var worker = server.Registry.Find(TinyPolicyFixture.PolicyId)!.Worker;
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var slow = StartSlow(client, 10);
        await WaitUntil(() => worker.QueueDepth >= 5, "the slow requests to queue");
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlanAsync(fx.Request(7, seed: 1), deadline: DateTime.UtcNow.AddMilliseconds(30)));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await Task.WhenAll(slow);
        await Task.Delay(100);
        Assert.Equal(10, worker.Statistics.TakeWindow().Batches);
    }

    [Fact]
    public async Task FullQueue_IsResourceExhausted_AndOthersStillServed()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = 1, QueueCapacity = 4 });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var calls = Enumerable.Range(0, 24).Select(i => client.PlanAsync(fx.Request(i, seed: i, sampler: SamplerKind.Ddpm, steps: 100)).ResponseAsync).ToList();
        int ok = 0, exhausted = 0;
        foreach (var call in calls)
        {
            try
            {
                await call;
                ok++;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                Assert.Contains("capacity reached", e.Status.Detail, StringComparison.Ordinal);
                exhausted++;
            }
        }
        Assert.True(exhausted > 0, "24 simultaneous slow requests must overflow a queue of 4");
        Assert.True(ok >= 4, $"at least a queue's worth must be served; got {ok}");
        Assert.Equal(24, ok + exhausted);
    }

    private List<Task<PlanResponse>> StartSlow(PlanningService.PlanningServiceClient client, int count) =>
        Enumerable.Range(0, count)
            .Select(i => client.PlanAsync(fx.Request(i, seed: i, sampler: SamplerKind.Ddpm, steps: 100)).ResponseAsync).ToList();

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(2);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
