using Grpc.Core;
using Grpc.Health.V1;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Robots.Telemetry;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Robots.Tests;

[Collection(ServedPolicyCollection.Name)]
public sealed class RobotFleetTests(TinyServedPolicy fx)
{
    private const long FirstSeed = 100_000;

    // Bit-for-bit agreement with in-process planning needs every plan computed as a batch of one: batched rows
    // agree with their plans alone only to float32 rounding (libtorch picks its convolution kernels by batch
    // size; see SeededBatchingTests in the server tests), and closed-loop episodes amplify any difference.
    private PlanningServerOptions Unbatched(int port = 0) => fx.Options(port) with { MaxBatch = 1 };

    [Fact]
    public async Task Fleet_SyncMode_ScoresEqualInProcessEvaluationOfTheSameSeeds()
    {
        await using var server = await PlanningServerHost.StartAsync(Unbatched());
        using var connection = new PlanningConnection(server.Address.ToString());
        var policy = await connection.ResolvePolicyAsync(null, SimTaskKind.Bimodal);
        Assert.Equal(TinyServedPolicy.PolicyId, policy.PolicyId);

        var fleet = await RobotFleet.RunAsync(connection, policy, new RobotConfig(SimTaskKind.Bimodal), robots: 4, episodes: 6, FirstSeed);
        var reference = EpisodewiseEvaluation.Evaluate(fx.InProcess, SimTaskKind.Bimodal, 6, FirstSeed);

        Assert.Equal(reference.Episodes, fleet.Evaluation.Episodes);
        Assert.Equal(reference.Score, fleet.Evaluation.Score);
        Assert.Equal(fleet.Episodes.Sum(e => e.Plans), fleet.Latency.Count);
        Assert.All(fleet.Episodes, e => Assert.Equal((e.Result.Steps + fx.InProcess.Config.Policy.ActionSteps - 1) / fx.InProcess.Config.Policy.ActionSteps, e.Plans));
        Assert.True(fleet.Latency.RoundTrip(0.5) > 0 && fleet.Latency.RoundTrip(0.99) >= fleet.Latency.RoundTrip(0.5));
    }

    [Fact]
    public async Task RemotePlanner_UnderPolicyEvaluator_EqualsInProcessPlanner()
    {
        await using var server = await PlanningServerHost.StartAsync(Unbatched());
        using var connection = new PlanningConnection(server.Address.ToString());
        var remote = new RemotePlanner(connection, await connection.GetPolicyAsync(TinyServedPolicy.PolicyId));
        var overNetwork = EpisodewiseEvaluation.Evaluate(remote, SimTaskKind.Bimodal, 2, FirstSeed + 10);
        var inProcess = EpisodewiseEvaluation.Evaluate(fx.InProcess, SimTaskKind.Bimodal, 2, FirstSeed + 10);
        Assert.Equal(inProcess.Episodes, overNetwork.Episodes);
        Assert.True(remote.Latency.Count > 0);
    }

    [Fact]
    public async Task Fleet_TelemetryThroughTheServerRelay_RecordsEveryEpisodeFrameForFrame()
    {
        string pub = Loopback.FreeTcpEndpoint(), sub = Loopback.FreeTcpEndpoint();
        await using var server = await PlanningServerHost.StartAsync(fx.Options(telemetry: pub, telemetryIn: sub));
        using var recorder = new TelemetryRecorder(pub);
        using var robots = new RobotTelemetryPublisher(sub);
        Assert.True(robots.WaitForSubscriber(TimeSpan.FromSeconds(5)), "the server's relay never subscribed");
        Assert.True(await recorder.WaitUntilReachedAsync(robots, TimeSpan.FromSeconds(15)), "no probe crossed the relay to the recorder");
        using var connection = new PlanningConnection(server.Address.ToString());
        var policy = await connection.GetPolicyAsync(TinyServedPolicy.PolicyId);

        var fleet = await RobotFleet.RunAsync(connection, policy, new RobotConfig(SimTaskKind.Bimodal), robots: 2, episodes: 3, FirstSeed, robots);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Assert.True(await recorder.WaitForEpisodesAsync(3, cts.Token), $"recorded {recorder.Episodes.Count} of 3 episodes ({recorder.Received} messages)");

        var bySession = recorder.Episodes.ToDictionary(e => e.Session, e => e.Episode);
        foreach (var e in fleet.Episodes)
        {
            var recorded = Assert.Single(bySession, kv => kv.Key.EndsWith($"/seed{e.Result.Seed}", StringComparison.Ordinal)).Value;
            Assert.Equal(e.Result.Steps, recorded.Length);
            Assert.Equal(e.Result.Success, recorded.Successes[^1]);
        }
        var dir = Path.Combine(fx.Root, $"recorded-{Guid.NewGuid():N}");
        await new LeRobotDatasetWriter().WriteAsync(recorder.ToDataset(SimTaskKind.Bimodal), dir);
        var back = await LeRobotDatasetReader.ReadAsync(dir);
        Assert.Equal(fleet.Episodes.Sum(e => e.Result.Steps), back.TotalFrames);
    }

    [Fact]
    public async Task Fleet_AsyncMode_FinishesEpisodesAndBlendsOverlappingChunks()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var connection = new PlanningConnection(server.Address.ToString());
        var policy = await connection.GetPolicyAsync(TinyServedPolicy.PolicyId);
        // 100 Hz pacing: a chunk asked for at half a queue (4 actions = 40 ms) usually lands before they run out.
        var config = new RobotConfig(SimTaskKind.Bimodal, RobotMode.Async, ControlHz: 100);
        var fleet = await RobotFleet.RunAsync(connection, policy, config, robots: 2, episodes: 2, FirstSeed);
        Assert.All(fleet.Evaluation.Episodes, e => Assert.InRange(e.Steps, 1, 80));
        // A reply that lands while actions are still queued overlaps them (it starts at the observation's timestep)
        // and is blended; only a reply that arrives after the queue ran dry (a stall) cannot blend. Blending itself
        // is pinned down by ActionQueueTests; here timing on a loaded machine decides which case occurs.
        int blended = fleet.Episodes.Sum(e => e.Blended), stalls = fleet.Episodes.Sum(e => e.Stalls);
        Assert.True(blended > 0 || stalls > 0, $"replies neither overlapped queued actions ({blended} blended) nor arrived late ({stalls} stalls)");
        // Every action a reply brought was dropped, blended or appended; at least one was executed per step.
        Assert.All(fleet.Episodes, e => Assert.True(e.Plans * policy.ActionSteps >= e.Result.Steps + e.Dropped));
    }

    [Fact]
    public async Task Fleet_AsyncOverStreamPlans_FinishesEpisodesWithTheSameQueueRules()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var connection = new PlanningConnection(server.Address.ToString());
        var policy = await connection.GetPolicyAsync(TinyServedPolicy.PolicyId);
        var config = new RobotConfig(SimTaskKind.Bimodal, RobotMode.Async, ControlHz: 100, Stream: true);
        var fleet = await RobotFleet.RunAsync(connection, policy, config, robots: 2, episodes: 2, FirstSeed);
        Assert.All(fleet.Evaluation.Episodes, e => Assert.InRange(e.Steps, 1, 80));
        Assert.Equal(fleet.Episodes.Sum(e => e.Plans), fleet.Latency.Count);
        Assert.All(fleet.Episodes, e => Assert.True(e.Plans * policy.ActionSteps >= e.Result.Steps + e.Dropped));
        Assert.Throws<ArgumentException>(() => new RobotConfig(SimTaskKind.Bimodal, RobotMode.Sync, Stream: true).Validate());
    }

    [Fact]
    public async Task Robot_ServerRestartOnTheSamePort_ReconnectsAndKeepsTheSyncResult()
    {
        int port = Loopback.FreePort();
        var server = await PlanningServerHost.StartAsync(fx.Options(port));
        using var connection = new PlanningConnection($"http://127.0.0.1:{port}", retry: new RetryConfig(Timeout: TimeSpan.FromSeconds(30)));
        var policy = await connection.GetPolicyAsync(TinyServedPolicy.PolicyId);
        var robot = new RobotClient("robot-r", connection, policy, new RobotConfig(SimTaskKind.Bimodal));
        var first = await robot.RunEpisodeAsync(FirstSeed);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await connection.CheckHealthAsync());

        await server.DisposeAsync();
        var down = await Assert.ThrowsAsync<RpcException>(() => connection.CheckHealthAsync());
        // Usually UNAVAILABLE (connection refused); INTERNAL when the closing server ended the pooled connection's stream.
        Assert.True(PlanningConnection.IsTransportFailure(down), $"{down.StatusCode}: {down.Status.Detail}");
        var restart = Task.Run(async () =>
        {
            await Task.Delay(700);
            return await PlanningServerHost.StartAsync(fx.Options(port));
        });
        var second = await robot.RunEpisodeAsync(FirstSeed + 1);   // its first plan meets a dead server, then retries
        await using var restarted = await restart;

        Assert.True(connection.Retries > 0, "the robot never had to retry");
        var reference = EpisodewiseEvaluation.Evaluate(fx.InProcess, SimTaskKind.Bimodal, 2, FirstSeed);
        Assert.Equal(reference.Episodes, [first.Result, second.Result]);
    }
}
