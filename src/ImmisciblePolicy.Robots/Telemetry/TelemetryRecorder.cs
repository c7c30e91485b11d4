using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;
using NetMQ;
using NetMQ.Sockets;

namespace ImmisciblePolicy.Robots.Telemetry;

/// <summary>One robot episode reassembled from telemetry.</summary>
/// <param name="Session">the session id it was published under.</param>
/// <param name="Episode">frames t = 0..T-1: observation at t, action executed at t, reward/success/done of that step.</param>
public sealed record RecordedEpisode(string Session, Episode Episode);

/// <summary>
/// Subscribes to robots' <c>obs</c>/<c>executed</c> telemetry (directly, or through the server's relay) and
/// reassembles complete episodes, so robot runs become training data. An episode is complete when an
/// observation with <c>done</c> arrives and every observation 0..T and action 0..T-1 of its session was
/// received; sessions with gaps (ZeroMQ dropped something) are counted and left out, never patched. Robots driving a
/// vision policy send their camera frames (PNG) with every observation; an episode whose every observation carries the
/// same cameras keeps them as LeRobot image features (the PNG files as they came, written into the dataset unchanged).
/// </summary>
public sealed class TelemetryRecorder : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SessionLog> _open = new(StringComparer.Ordinal);
    private readonly List<RecordedEpisode> _episodes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ready = new();
    private Exception? _socketError;
    private int _probes;

    /// <param name="endpoint">ZeroMQ endpoint to subscribe to (the server's telemetry PUB, or robots' own).</param>
    /// <param name="bind">bind the SUB socket so robots connect to it directly.</param>
    /// <param name="fps">control rate of the recorded task, for the frame timestamps (Push-T: 10).</param>
    public TelemetryRecorder(string endpoint, bool bind = false, int fps = 10)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(fps, 1);
        Endpoint = endpoint;
        Fps = fps;
        _thread = new Thread(() => Receive(bind)) { IsBackground = true, Name = "telemetry-recorder" };
        _thread.Start();
        _ready.Wait();
        if (_socketError is not null) throw new IOException($"cannot subscribe to telemetry at '{endpoint}': {_socketError.Message}", _socketError);
    }

    /// <summary>Where the recorder listens.</summary>
    public string Endpoint { get; }

    /// <summary>Frames per second of the recorded task.</summary>
    public int Fps { get; }

    /// <summary>Payloads that failed to decode (wrong version, missing keys, not MessagePack).</summary>
    public int Malformed { get; private set; }

    /// <summary>Episodes that ended with a gap and were left out.</summary>
    public int Incomplete { get; private set; }

    /// <summary>Messages received.</summary>
    public long Received { get; private set; }

    /// <summary>Complete episodes so far, ordered by session id.</summary>
    public IReadOnlyList<RecordedEpisode> Episodes
    {
        get { lock (_gate) return _episodes.OrderBy(e => e.Session, StringComparer.Ordinal).ToArray(); }
    }

    /// <summary>Waits until at least <paramref name="count"/> episodes are complete, or the token fires (false).</summary>
    public async Task<bool> WaitForEpisodesAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate) if (_episodes.Count >= count) return true;
            try
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Session id of <see cref="WaitUntilReachedAsync"/>'s probes; never recorded as an episode.</summary>
    public const string ProbeSession = "telemetry-probe";

    /// <summary>
    /// Publishes probe observations through <paramref name="publisher"/> until this recorder receives one, so the
    /// first episode is not lost to ZeroMQ's slow joiner: a SUB connects asynchronously and a PUB drops what it sends
    /// before a subscription arrives, at each hop (robots -> server relay -> recorder). Waiting for the relay's
    /// subscription alone (<see cref="RobotTelemetryPublisher.WaitForSubscriber"/>) does not cover the second hop.
    /// False when nothing arrived within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitUntilReachedAsync(RobotTelemetryPublisher publisher, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        var until = DateTime.UtcNow + timeout;
        int seen = Volatile.Read(ref _probes);
        while (Volatile.Read(ref _probes) == seen)
        {
            if (DateTime.UtcNow >= until) return false;
            publisher.Publish(new ObservationTelemetry(ProbeSession, 0, 0, [0f], null, false, false));
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>
    /// The complete episodes as a dataset with <paramref name="task"/>'s feature names for the robots' observation layout.
    /// Episodes recorded with camera frames (robots of a vision policy) keep them as image features; their state is the
    /// pixel observation's (the agent position, <see cref="PixelObservations.StateNames"/>), so the dataset trains a
    /// vision policy again.
    /// </summary>
    /// <param name="cameras">camera frames for each recorded episode (one frame per frame of the episode, by feature
    /// name), attached before writing so the dataset carries LeRobot camera features; null to keep what telemetry
    /// carried (the robots' frames, or none).</param>
    public DemonstrationDataset ToDataset(SimTaskKind task, int? maxEpisodes = null,
        Func<RecordedEpisode, IReadOnlyDictionary<string, IImageFrames>>? cameras = null,
        Sim.PushT.PushTObservation observation = SimTasks.DefaultObservation)
    {
        var episodes = Episodes.Take(maxEpisodes ?? int.MaxValue)
            .Select(e => cameras is null ? e.Episode : e.Episode.WithImages(cameras(e)))
            .ToList();
        if (episodes.Count == 0) throw new InvalidOperationException($"no complete episode was recorded from '{Endpoint}'");
        bool pixels = cameras is null && episodes.Any(e => e.Images.Count > 0);
        if (pixels && episodes.Any(e => e.Images.Count == 0))
            throw new InvalidOperationException("some recorded episodes carry camera frames and some do not; record one policy's robots per dataset");
        var names = pixels ? PixelObservations.StateNames : SimTasks.ObservationNames(task, observation);
        return new DemonstrationDataset(episodes, Fps, names, SimTasks.ActionNames, [SimTasks.Description(task)],
            robotType: task == SimTaskKind.PushT ? "pusht-sim" : "bimodal-reach-sim", environmentStateDim: pixels ? 0 : SimTasks.EnvironmentStateDim(task, observation));
    }

    private void Receive(bool bind)
    {
        SubscriberSocket socket;
        try
        {
            socket = new SubscriberSocket();
            socket.Options.ReceiveHighWatermark = 100_000;
            socket.Subscribe(TelemetryCodec.ObservationTopic);
            socket.Subscribe(TelemetryCodec.ExecutedTopic);
            if (bind) socket.Bind(Endpoint);
            else socket.Connect(Endpoint);
        }
        catch (Exception e) when (e is NetMQException or ArgumentException)
        {
            _socketError = e;
            _ready.Set();
            return;
        }
        _ready.Set();
        using (socket)
        {
            var frames = new List<byte[]>();
            while (!_stop.IsCancellationRequested)
            {
                frames.Clear();
                // Non-blocking poll + short sleep: NetMQ 4.0.4.5's timed receive was seen to spin forever on a
                // socket without peers (see RobotTelemetryPublisher.WaitForSubscriber).
                if (!socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames, 2))
                {
                    Thread.Sleep(2);
                    continue;
                }
                Handle(frames);
            }
        }
    }

    private void Handle(List<byte[]> frames)
    {
        lock (_gate)
        {
            Received++;
            if (frames.Count != 2)
            {
                Malformed++;
                return;
            }
            string topic = System.Text.Encoding.UTF8.GetString(frames[0]);
            try
            {
                // Exact topic match: the SUB prefix filter would also pass e.g. "obsolete".
                if (topic == TelemetryCodec.ObservationTopic) OnObservation(TelemetryCodec.DecodeObservation(frames[1]));
                else if (topic == TelemetryCodec.ExecutedTopic) OnExecuted(TelemetryCodec.DecodeExecuted(frames[1]));
            }
            catch (Exception e) when (e is FormatException or MessagePack.MessagePackSerializationException or EndOfStreamException or InvalidOperationException or ArgumentException)
            {
                Malformed++;
            }
        }
    }

    private void OnObservation(ObservationTelemetry m)
    {
        if (m.Session == ProbeSession)
        {
            Interlocked.Increment(ref _probes);
            return;
        }
        var log = Log(m.Session);
        log.Observations[m.Timestep] = m;
        if (m.Done != true) return;
        _open.Remove(m.Session);
        long steps = m.Timestep;
        var states = new List<float[]>();
        var actions = new List<float[]>();
        var rewards = new float[steps];
        var successes = new bool[steps];
        var dones = new bool[steps];
        for (long t = 0; t < steps; t++)
        {
            if (!log.Observations.TryGetValue(t, out var o) || !log.Executed.TryGetValue(t, out var a) || !log.Observations.TryGetValue(t + 1, out var next)
                || o.Observation.Length != m.Observation.Length)
            {
                Incomplete++;
                return;
            }
            states.Add(o.Observation);
            actions.Add(a.Action);
            rewards[t] = (float)(next.Reward ?? 0);
            successes[t] = next.Success ?? false;
            dones[t] = t == steps - 1;
        }
        if (steps == 0)
        {
            Incomplete++;
            return;
        }
        var episode = Episode.FromFrames(states, actions, Fps, rewards, successes, dones);
        // Frames 0..T-1 with one PNG per camera each: the cameras of observation 0 must appear, at one shape, in every one.
        var first = log.Observations[0].Images;
        if (first is { Count: > 0 })
        {
            var images = new Dictionary<string, IImageFrames>(StringComparer.Ordinal);
            foreach (var camera in first)
            {
                var pngs = new byte[steps][];
                for (long t = 0; t < steps; t++)
                {
                    var frame = log.Observations[t].Images?.FirstOrDefault(i => i.Camera == camera.Camera);
                    if (frame is null || frame.Feature != camera.Feature)
                    {
                        Incomplete++;
                        return;
                    }
                    pngs[t] = frame.Png;
                }
                images[camera.Camera] = new PngImageFrames(camera.Feature, pngs, $"telemetry session {m.Session}");
            }
            episode = episode.WithImages(images);
        }
        _episodes.Add(new RecordedEpisode(m.Session, episode));
    }

    private void OnExecuted(ExecutedTelemetry m) => Log(m.Session).Executed[m.Timestep] = m;

    private SessionLog Log(string session)
    {
        if (!_open.TryGetValue(session, out var log)) _open[session] = log = new SessionLog();
        return log;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
        _ready.Dispose();
    }

    private sealed class SessionLog
    {
        public Dictionary<long, ObservationTelemetry> Observations { get; } = [];
        public Dictionary<long, ExecutedTelemetry> Executed { get; } = [];
    }
}
