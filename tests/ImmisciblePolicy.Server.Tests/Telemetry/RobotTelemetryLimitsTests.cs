using System.Buffers;
using System.Diagnostics;
using System.Text;
using ImmisciblePolicy.Server.Telemetry;
using MessagePack;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace ImmisciblePolicy.Server.Tests.Telemetry;

/// <summary>
/// Issue 12 defect 6: robot telemetry had no size cap and one warning per malformed message. Oversized
/// messages are cut off by ZeroMQ, rejected ones are counted, and warnings are rate-limited.
/// </summary>
public sealed class RobotTelemetryLimitsTests
{
    private sealed class CountingLogger : ILogger
    {
        private int _warnings;
        public int Warnings => Volatile.Read(ref _warnings);
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning) return;
            lock (Lines) Lines.Add(formatter(state, exception));
            Interlocked.Increment(ref _warnings);
        }
    }

    private static byte[] ValidObservation(string session)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(5);
        w.Write("v"); w.Write(1);
        w.Write("session"); w.Write(session);
        w.Write("timestep"); w.Write(3);
        w.Write("time"); w.Write(1767225600.5);
        w.Write("obs");
        w.WriteMapHeader(2);
        w.Write("shape"); w.WriteArrayHeader(1); w.Write(2);
        w.Write("data"); w.WriteArrayHeader(2); w.Write(0.5f); w.Write(1.5f);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static bool WaitUntil(Func<bool> condition, Action? poke = null)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(30)) return false;
            poke?.Invoke();
            Thread.Sleep(10);
        }
        return true;
    }

    [Fact]
    public void MalformedFlood_IsCounted_WithRateLimitedWarnings()
    {
        var logger = new CountingLogger();
        using var hub = new TelemetryHub("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", 1000, 4096, logger, maxRobotMessageBytes: 4096);
        using var robot = new PublisherSocket();
        robot.Connect(hub.RelayEndpoint!);
        // Wait for the connection with valid messages (ZeroMQ drops PUB messages sent before it is up).
        Assert.True(WaitUntil(() => hub.Relayed > 0, () => robot.SendMoreFrame("obs").SendFrame(ValidObservation("warm-up"))));
        const int rounds = 10, perRound = 200;                       // within the high-water marks, so none is lost
        for (int r = 1; r <= rounds; r++)
        {
            for (int i = 0; i < perRound; i++) robot.SendMoreFrame("obs").SendFrame([0xc1, (byte)i]);
            Assert.True(WaitUntil(() => hub.Rejected >= r * perRound), $"round {r}: {hub.Rejected} rejected");
        }
        Assert.Equal(rounds * perRound, hub.Rejected);
        // One warning per 10 s: a handful for 2,000 messages however slow the machine, each counting the held-back ones.
        Assert.InRange(logger.Warnings, 1, 5);
        Assert.Equal(hub.Rejected - logger.Warnings, hub.SuppressedWarnings);
        Assert.Contains("not a MessagePack map", string.Join("\n", logger.Lines), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(hub.Rejected, hub.Counters.Rejected);
    }

    [Fact]
    public void OversizedMessage_IsNeverRelayed_AndOthersStillAre()
    {
        var logger = new CountingLogger();
        using var hub = new TelemetryHub("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", 1000, 4096, logger, maxRobotMessageBytes: 4096);
        using var sub = new SubscriberSocket();
        sub.Connect(hub.Endpoint);
        sub.Subscribe("obs");
        using var flooder = new PublisherSocket();
        flooder.Connect(hub.RelayEndpoint!);
        using var robot = new PublisherSocket();
        robot.Connect(hub.RelayEndpoint!);
        var big = new byte[20 << 10];                                   // 20 KiB against a 4 KiB cap
        ValidObservation("big").CopyTo(big, 0);
        var sessions = new HashSet<string>();
        Assert.True(WaitUntil(() =>
        {
            var frames = new List<byte[]>();
            while (sub.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 2))
                sessions.Add((string)MessagePackSerializer.Deserialize<Dictionary<object, object>>(frames[1])["session"]);
            return sessions.Contains("small");
        }, () =>
        {
            flooder.SendMoreFrame("obs").SendFrame(big);
            robot.SendMoreFrame("obs").SendFrame(ValidObservation("small"));
        }));
        Assert.DoesNotContain("big", sessions);
        Assert.True(hub.Relayed > 0);
        Assert.Equal(0, hub.Dropped);
    }

    [Fact]
    public void LogRateLimiter_LetsOneLinePerPeriod_AndReportsTheHeldBackCount()
    {
        var now = DateTimeOffset.UnixEpoch;
        var limiter = new LogRateLimiter(TimeSpan.FromSeconds(10), () => now);
        Assert.True(limiter.ShouldLog(out long held));
        Assert.Equal(0, held);
        for (int i = 0; i < 99; i++) Assert.False(limiter.ShouldLog(out _));
        now = now.AddSeconds(9.9);
        Assert.False(limiter.ShouldLog(out _));
        now = now.AddSeconds(0.1);
        Assert.True(limiter.ShouldLog(out held));
        Assert.Equal(100, held);
        Assert.Equal(100, limiter.Suppressed);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogRateLimiter(TimeSpan.Zero));
    }
}
