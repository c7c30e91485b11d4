using System.Buffers;
using System.Diagnostics;
using System.Text;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;

namespace ImmisciblePolicy.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class TelemetryTests(TinyPolicyFixture fx)
{
    private static readonly MessagePackSerializerOptions Untrusted =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private PlanningServerOptions WithTelemetry() => fx.Options() with { TelemetryEndpoint = "tcp://127.0.0.1:*" };

    [Fact]
    public async Task Plan_IsPublished_AsMessagePackMapWithStringKeys()
    {
        await using var server = await PlanningServerHost.StartAsync(WithTelemetry());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        using var sub = new SubscriberSocket();
        sub.Connect(server.Telemetry.Hub!.Endpoint);
        sub.Subscribe("plan");
        // ZeroMQ's slow joiner: keep planning until the subscription is live and a message arrives.
        var replies = new Dictionary<long, PlanResponse>();
        Dictionary<object, object?>? message = null;
        for (int i = 0; message is null && i < 500; i++)
        {
            replies[i] = await client.PlanAsync(fx.Request(i, seed: i, session: "telemetry-robot"));
            var frames = new List<byte[]>();
            if (sub.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(20), ref frames, 2))
            {
                Assert.Equal("plan", Encoding.UTF8.GetString(frames[0]));
                message = MessagePackSerializer.Deserialize<Dictionary<object, object?>>(frames[1], Untrusted);
            }
        }
        Assert.NotNull(message);
        Assert.All(message.Keys, k => Assert.IsType<string>(k));
        Assert.Equal(1L, Convert.ToInt64(message["v"]));
        Assert.Equal("tiny", message["policy"]);
        Assert.Equal("telemetry-robot", message["session"]);
        long timestep = Convert.ToInt64(message["timestep"]);
        var reply = replies[timestep];
        var obs = (Dictionary<object, object?>)message["obs"]!;
        Assert.Equal(new long[] { fx.To, fx.Do }, ((object[])obs["shape"]!).Select(Convert.ToInt64));
        Assert.Equal(fx.Window((int)timestep).SelectMany(r => r).Select(v => (float)v), ((object[])obs["data"]!).Cast<float>());
        var actions = (Dictionary<object, object?>)message["actions"]!;
        Assert.Equal(reply.Actions.SelectMany(a => a.Values), ((object[])actions["data"]!).Cast<float>());
        Assert.Equal(timestep, Convert.ToInt64(message["seed"]));
        Assert.Equal("ddim", message["sampler"]);
        Assert.Equal(reply.Timing.InferenceMs, (double)message["inference_ms"]!);
        Assert.Equal(reply.PolicyVersion.Hash, ((Dictionary<object, object?>)message["version"]!)["hash"]);
        double obsTime = (double)message["obs_time"]!;
        Assert.Equal(fx.Request((int)timestep).ObservationTime.ToDateTimeOffset().ToUnixTimeMilliseconds() / 1000.0, obsTime, 6);
    }

    [Fact]
    public async Task Metrics_ArePublishedPerPolicy()
    {
        await using var server = await PlanningServerHost.StartAsync(WithTelemetry() with { MetricsPeriod = TimeSpan.FromMilliseconds(100) });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        using var sub = new SubscriberSocket();
        sub.Connect(server.Telemetry.Hub!.Endpoint);
        sub.Subscribe("metrics");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await client.PlanAsync(fx.Request(1, seed: 1));
            var frames = new List<byte[]>();
            if (!sub.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(10), ref frames, 2)) continue;
            var m = MessagePackSerializer.Deserialize<Dictionary<object, object?>>(frames[1], Untrusted);
            if (Convert.ToInt64(m["plans"]) == 0) continue;
            Assert.Equal("tiny", m["policy"]);
            Assert.True((double)m["p99_ms"]! >= (double)m["p50_ms"]! && (double)m["p50_ms"]! > 0);
            Assert.True(Convert.ToInt64(m["batches"]) > 0);
            return;
        }
        Assert.Fail("no metrics message with plans arrived within 10 s");
    }

    [Fact]
    public async Task StalledSubscriber_DoesNotSlowPlanning_AndOthersStillReceive()
    {
        await using var server = await PlanningServerHost.StartAsync(WithTelemetry() with { TelemetryHighWatermark = 5 });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        async Task<TimeSpan> Run(int n)
        {
            var w = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) await client.PlanAsync(fx.Request(i, seed: 1));
            return w.Elapsed;
        }
        await Run(50);                                                    // warm-up
        var baseline = await Run(400);
        using var stalled = new SubscriberSocket();
        stalled.Options.ReceiveHighWatermark = 5;
        stalled.Options.ReceiveBuffer = 4096;
        stalled.Connect(server.Telemetry.Hub!.Endpoint);
        stalled.Subscribe("");                                            // ... and never reads
        await Task.Delay(200);
        var withStalled = await Run(400);
        Assert.True(withStalled < baseline * 2 + TimeSpan.FromSeconds(0.5),
            $"400 plans took {withStalled.TotalMilliseconds:F0} ms with a stalled subscriber vs {baseline.TotalMilliseconds:F0} ms without");

        using var fresh = new SubscriberSocket();
        fresh.Connect(server.Telemetry.Hub.Endpoint);
        fresh.Subscribe("plan");
        for (int i = 0; i < 500; i++)
        {
            await client.PlanAsync(fx.Request(i, seed: 1));
            var frames = new List<byte[]>();
            if (fresh.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(20), ref frames, 2)) return;
        }
        Assert.Fail("the publisher stopped publishing after a subscriber stalled");
    }

    [Fact]
    public async Task RobotMessages_AreValidatedAndRelayed()
    {
        await using var server = await PlanningServerHost.StartAsync(WithTelemetry() with { TelemetryInEndpoint = "tcp://127.0.0.1:*" });
        var hub = server.Telemetry.Hub!;
        using var sub = new SubscriberSocket();
        sub.Connect(hub.Endpoint);
        sub.Subscribe("obs");
        sub.Subscribe("executed");
        using var robot = new PublisherSocket();
        robot.Connect(hub.RelayEndpoint!);
        var watch = Stopwatch.StartNew();
        var seen = new HashSet<string>();
        while (seen.Count < 2 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            robot.SendMoreFrame("obs").SendFrame(RobotMessage(1, "good", "obs", 2));
            robot.SendMoreFrame("executed").SendFrame(RobotMessage(1, "good", "action", 2));
            robot.SendMoreFrame("obs").SendFrame(RobotMessage(2, "future-version", "obs", 2));
            robot.SendMoreFrame("obs").SendFrame(RobotMessage(1, "bad-shape", "obs", 3));
            robot.SendMoreFrame("obs").SendFrame([0xc1, 0x00]);           // not MessagePack
            var frames = new List<byte[]>();
            while (sub.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(20), ref frames, 2))
            {
                var m = MessagePackSerializer.Deserialize<Dictionary<object, object?>>(frames[1], Untrusted);
                Assert.Equal("good", m["session"]);
                seen.Add(Encoding.UTF8.GetString(frames[0]));
            }
        }
        Assert.Equal(["executed", "obs"], seen.Order());
        Assert.True(hub.Relayed >= 2);
    }

    // A robot message per protos/README.md; `values` data entries under a [2] shape (3 = inconsistent).
    private static byte[] RobotMessage(int version, string session, string tensorKey, int values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(5);
        w.Write("v"); w.Write(version);
        w.Write("session"); w.Write(session);
        w.Write("timestep"); w.Write(12);
        w.Write("time"); w.Write(1767225600.5);
        w.Write(tensorKey);
        w.WriteMapHeader(2);
        w.Write("shape"); w.WriteArrayHeader(1); w.Write(2);
        w.Write("data"); w.WriteArrayHeader(values);
        for (int i = 0; i < values; i++) w.Write(0.5f * i);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
