using System.Text;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace ImmisciblePolicy.Server.Telemetry;

/// <summary>
/// The server's telemetry socket(s) on one background thread (NetMQ sockets are not thread-safe): a PUB
/// socket for <c>plan</c>/<c>metrics</c> (and relayed robot messages), and optionally a bound SUB socket
/// where robots publish <c>obs</c>/<c>executed</c>. <see cref="Publish"/> only enqueues, never blocks:
/// beyond <c>queueCapacity</c> waiting messages new ones are dropped, and a subscriber that stops reading
/// costs at most its send high-water mark of memory (ZeroMQ PUB drops for it instead of waiting).
/// Robot input is bounded too: a message larger than <c>maxRobotMessageBytes</c> makes ZeroMQ disconnect its
/// sender before the message is buffered (ZMQ_MAXMSGSIZE), at most the receive high-water mark of messages
/// wait, and rejected messages are counted with one warning per 10 s (<see cref="LogRateLimiter"/>).
/// </summary>
public sealed class TelemetryHub : IDisposable
{
    private readonly PublisherSocket _publisher;
    private readonly SubscriberSocket? _relay;
    private readonly NetMQQueue<(string Topic, byte[] Payload)> _queue = new();
    private readonly NetMQPoller _poller;
    private readonly int _queueCapacity;
    private readonly ILogger _logger;
    private readonly int _maxRobotMessageBytes;
    private readonly LogRateLimiter _rejectedLog = new(TimeSpan.FromSeconds(10));
    private long _pending, _dropped, _relayed, _rejected;

    /// <summary>
    /// Default of the robot message cap: 1 MiB, room for an <c>obs</c> message with camera frames as PNG (a 96 x 96 Push-T
    /// frame is a few KB at most; a 640 x 480 RGB camera frame is at most 0.92 MB even when it does not compress). Was 64 KiB
    /// before robots sent frames.
    /// </summary>
    public const int DefaultMaxRobotMessageBytes = 1 << 20;

    /// <param name="endpoint">PUB endpoint to bind, e.g. tcp://127.0.0.1:5556 (port * picks a free one).</param>
    /// <param name="relayEndpoint">SUB endpoint to bind for robot messages, or null.</param>
    /// <param name="highWatermark">per-subscriber send buffer in messages.</param>
    /// <param name="queueCapacity">messages waiting for the telemetry thread before new ones are dropped.</param>
    /// <param name="logger">for rejected robot messages.</param>
    /// <param name="maxRobotMessageBytes">largest robot message frame accepted on the relay socket.</param>
    public TelemetryHub(string endpoint, string? relayEndpoint, int highWatermark, int queueCapacity, ILogger logger,
        int maxRobotMessageBytes = DefaultMaxRobotMessageBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(highWatermark, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRobotMessageBytes, 256);
        _maxRobotMessageBytes = maxRobotMessageBytes;
        _queueCapacity = queueCapacity;
        _logger = logger;
        _publisher = new PublisherSocket();
        _publisher.Options.SendHighWatermark = highWatermark;
        _publisher.Options.Linger = TimeSpan.Zero;
        _publisher.Bind(endpoint);
        Endpoint = _publisher.Options.LastEndpoint ?? endpoint;
        _queue.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var item, TimeSpan.Zero))
            {
                Interlocked.Decrement(ref _pending);
                Send(item.Topic, item.Payload);
            }
        };
        _poller = [_queue];
        if (relayEndpoint is not null)
        {
            _relay = new SubscriberSocket();
            _relay.Options.ReceiveHighWatermark = highWatermark;
            // ZMQ_MAXMSGSIZE: a peer sending a larger frame is disconnected before the frame is buffered.
            _relay.Options.MaxMsgSize = maxRobotMessageBytes;
            _relay.Options.Linger = TimeSpan.Zero;
            _relay.Bind(relayEndpoint);
            RelayEndpoint = _relay.Options.LastEndpoint ?? relayEndpoint;
            _relay.Subscribe(TelemetryTopics.Observation);
            _relay.Subscribe(TelemetryTopics.Executed);
            _relay.ReceiveReady += (_, e) => Relay(e.Socket);
            _poller.Add(_relay);
        }
        _poller.RunAsync("telemetry", isBackgroundThread: true);
    }

    /// <summary>The bound PUB endpoint (with the actual port).</summary>
    public string Endpoint { get; }

    /// <summary>The bound SUB endpoint robots publish to, or null.</summary>
    public string? RelayEndpoint { get; }

    /// <summary>Messages dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Robot messages relayed.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>Robot messages rejected (malformed, unknown topic, wrong schema, too large) since the start.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Rejection warnings held back by the rate limit since the start.</summary>
    public long SuppressedWarnings => _rejectedLog.Suppressed;

    /// <summary>Messages waiting for the telemetry thread now (bounded by the queue capacity).</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>The counters, for the metrics telemetry.</summary>
    public TelemetryCounters Counters => new(Dropped, Relayed, Rejected, SuppressedWarnings);

    /// <summary>Queues a message for publishing; returns false (and drops it) when the queue is full.</summary>
    public bool Publish(string topic, byte[] payload)
    {
        if (Interlocked.Increment(ref _pending) > _queueCapacity)
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        _queue.Enqueue((topic, payload));
        return true;
    }

    private void Send(string topic, byte[] payload)
    {
        // PUB never blocks on a slow subscriber (it drops at the high-water mark); TimeSpan.Zero makes
        // sure this thread cannot wait either.
        if (!_publisher.TrySendFrame(TimeSpan.Zero, Encoding.UTF8.GetBytes(topic), more: true)) return;
        _publisher.TrySendFrame(TimeSpan.Zero, payload);
    }

    private void Relay(NetMQSocket socket)
    {
        var message = new NetMQMessage();
        while (socket.TryReceiveMultipartMessage(TimeSpan.Zero, ref message, 2))
        {
            if (message.FrameCount != 2)
            {
                Reject("?", $"expected 2 frames, got {message.FrameCount}");
                continue;
            }
            if (message[0].MessageSize > 64 || message[1].MessageSize > _maxRobotMessageBytes)
            {
                Reject("?", $"frames of {message[0].MessageSize} and {message[1].MessageSize} bytes exceed the caps (64-byte topic, {_maxRobotMessageBytes}-byte payload)");
                continue;
            }
            var topic = message[0].ConvertToString(Encoding.UTF8);
            var payload = message[1].ToByteArray();
            var reason = RobotTelemetryValidator.Check(topic, payload);
            if (reason is not null)
            {
                Reject(topic, reason);
                continue;
            }
            Send(topic, payload);
            Interlocked.Increment(ref _relayed);
        }
    }

    private void Reject(string topic, string reason)
    {
        long total = Interlocked.Increment(ref _rejected);
        if (_rejectedLog.ShouldLog(out long suppressed))
            ServerLog.TelemetryRejected(_logger, topic, reason, suppressed, _rejectedLog.Period.TotalSeconds, total);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _poller.Stop();
        _poller.Dispose();
        _queue.Dispose();
        _relay?.Dispose();
        _publisher.Dispose();
    }
}
