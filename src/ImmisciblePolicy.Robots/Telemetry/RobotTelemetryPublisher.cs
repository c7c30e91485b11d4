using NetMQ;
using NetMQ.Sockets;

namespace ImmisciblePolicy.Robots.Telemetry;

/// <summary>
/// Publishes robots' <c>obs</c> and <c>executed</c> messages on a ZeroMQ socket shared by every robot of the
/// process. It connects (robots are many, the server's relay or a recorder binds) unless told to bind. An
/// XPUB socket is used so <see cref="WaitForSubscriber"/> can see a subscription arrive: ZeroMQ drops what
/// is published before that (the "slow joiner"). Sends never block: a missing or slow subscriber loses
/// messages, a robot never waits for telemetry.
/// </summary>
public sealed class RobotTelemetryPublisher : IDisposable
{
    private readonly object _gate = new();
    private readonly XPublisherSocket _socket;
    private readonly byte[] _obsTopic = TelemetryCodec.TopicBytes(TelemetryCodec.ObservationTopic);
    private readonly byte[] _executedTopic = TelemetryCodec.TopicBytes(TelemetryCodec.ExecutedTopic);
    private bool _subscribed;
    private long _sent;

    /// <param name="endpoint">ZeroMQ endpoint, e.g. tcp://127.0.0.1:5557 (the server's --telemetry-in).</param>
    /// <param name="bind">bind instead of connect (one robot process serving many recorders).</param>
    public RobotTelemetryPublisher(string endpoint, bool bind = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        Endpoint = endpoint;
        _socket = new XPublisherSocket();
        // 10 s of a 100 Hz fleet per subscriber before ZeroMQ drops for it.
        _socket.Options.SendHighWatermark = 1000;
        _socket.Options.Linger = TimeSpan.FromMilliseconds(500);
        if (bind) _socket.Bind(endpoint);
        else _socket.Connect(endpoint);
    }

    /// <summary>Where messages go.</summary>
    public string Endpoint { get; }

    /// <summary>Messages handed to ZeroMQ so far.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Waits until some subscriber has subscribed (true) or the timeout passes (false).</summary>
    public bool WaitForSubscriber(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (!_subscribed)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                // Non-blocking polls against a wall-clock deadline: NetMQ 4.0.4.5's timed receive on an XPUB socket
                // with no peer was seen to spin forever inside Mailbox.TryRecv (a hung test host, caught in a dump).
                if (_socket.TryReceiveFrameBytes(TimeSpan.Zero, out var frame))
                {
                    if (frame.Length > 0 && frame[0] == 1) _subscribed = true;
                }
                else
                {
                    Thread.Sleep(left < TimeSpan.FromMilliseconds(5) ? left : TimeSpan.FromMilliseconds(5));
                }
            }
            return true;
        }
    }

    /// <summary>Publishes an observation.</summary>
    public void Publish(ObservationTelemetry message) => Send(_obsTopic, TelemetryCodec.Encode(message));

    /// <summary>Publishes an executed action.</summary>
    public void Publish(ExecutedTelemetry message) => Send(_executedTopic, TelemetryCodec.Encode(message));

    private void Send(byte[] topic, byte[] payload)
    {
        lock (_gate)
        {
            // Drain subscription frames so XPUB's inbound queue never fills.
            while (_socket.TryReceiveFrameBytes(TimeSpan.Zero, out var frame))
                if (frame.Length > 0 && frame[0] == 1) _subscribed = true;
            // Both frames in one non-blocking call: a full pipe drops the whole message, never half of it.
            var message = new NetMQMessage(2);
            message.Append(topic);
            message.Append(payload);
            if (_socket.TrySendMultipartMessage(TimeSpan.Zero, message)) Interlocked.Increment(ref _sent);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate) _socket.Dispose();
    }
}
