using System.Diagnostics;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Robots.Telemetry;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robots;

/// <summary>What one robot episode did, beyond its score.</summary>
/// <param name="Result">the episode's score as <see cref="PolicyEvaluator"/> reports it.</param>
/// <param name="Plans">plan requests answered.</param>
/// <param name="Stalls">control steps the robot had to wait because its queue held no action for the step (async).</param>
/// <param name="Dropped">queued-chunk actions that arrived after their timestep had been executed (async).</param>
/// <param name="Blended">actions merged from overlapping chunks (async).</param>
public sealed record RobotEpisode(EpisodeResult Result, int Plans, int Stalls, int Dropped, int Blended);

/// <summary>
/// One simulated robot against a planning server: keeps the last To observations, asks for action chunks over
/// gRPC when its <see cref="ActionQueue"/> runs low, executes one action per control step, and publishes every
/// observation and executed action as telemetry. Sync mode reproduces in-process evaluation exactly (fixed
/// per-call seeds, ask-execute-Ta-ask); async mode is LeRobot's queue with overlap blending. When the served policy
/// has image features (<see cref="PolicyInfo.ImageFeatures"/>) the robot observes the task's pixel observation
/// (<see cref="PixelObservations"/>: agent position + rendered frames), sends the frames with every request and
/// publishes them (PNG) with every <c>obs</c> message.
/// </summary>
public sealed class RobotClient
{
    private readonly PlanningConnection _connection;
    private readonly PolicyInfo _policy;
    private readonly RobotConfig _config;
    private readonly RobotTelemetryPublisher? _telemetry;
    private readonly ImmisciblePolicy.Policy.Data.ImageFeature[] _cameras;

    /// <param name="name">robot name, the prefix of its session ids.</param>
    /// <param name="connection">server link (not owned; may be shared by robots).</param>
    /// <param name="policy">the served policy to plan with.</param>
    /// <param name="config">task, mode, queue.</param>
    /// <param name="telemetry">where obs/executed go; null publishes nothing.</param>
    public RobotClient(string name, PlanningConnection connection, PolicyInfo policy, RobotConfig config, RobotTelemetryPublisher? telemetry = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var probe = SimTasks.Create(config.Task, config.Observation);
        _cameras = [.. policy.ImageFeatures.Select(f => new ImmisciblePolicy.Policy.Data.ImageFeature(f.Name, f.Height, f.Width, f.Channels))];
        foreach (var camera in _cameras)
        {
            camera.Validate();
            if (camera.Channels != 3)
                throw new ArgumentException($"policy '{policy.PolicyId}' observes camera '{camera.Name}' {camera.ShapeText}; the simulated tasks render RGB frames only", nameof(policy));
        }
        // A vision policy's observation.state is the pixel observation's agent position, whatever the Push-T layout.
        int observationSize = _cameras.Length > 0 ? PixelObservations.StateNames.Length : probe.ObservationSize;
        if (policy.ObservationSize != observationSize || policy.ActionSize != probe.ActionSize)
            throw new ArgumentException(
                $"policy '{policy.PolicyId}' maps {policy.ObservationSize} observations to {policy.ActionSize} actions; task {config.Task} has {observationSize}" +
                $"{(_cameras.Length > 0 ? " (pixel observation state)" : "")} and {probe.ActionSize}",
                nameof(policy));
        if (policy.ObservationSteps < 1 || policy.ActionSteps < 1)
            throw new ArgumentException($"policy '{policy.PolicyId}' reports To = {policy.ObservationSteps}, Ta = {policy.ActionSteps}; both must be at least 1", nameof(policy));
        Name = name;
        _connection = connection;
        _policy = policy;
        _config = config;
        _telemetry = telemetry;
        Queue = new ActionQueue(config.Queue);
    }

    /// <summary>The cameras the robot sends with every observation (the served policy's image features); empty for a state-only policy.</summary>
    public IReadOnlyList<ImmisciblePolicy.Policy.Data.ImageFeature> Cameras => _cameras;

    /// <summary>Robot name.</summary>
    public string Name { get; }

    /// <summary>The robot's action queue.</summary>
    public ActionQueue Queue { get; }

    /// <summary>Latency of every plan request this robot made.</summary>
    public LatencyRecorder Latency { get; } = new();

    /// <summary>The session id of the episode reset with <paramref name="seed"/>.</summary>
    public string SessionOf(long seed) => $"{Name}/seed{seed}";

    /// <summary>Runs one episode from <paramref name="seed"/> to its end.</summary>
    public async Task<RobotEpisode> RunEpisodeAsync(long seed, CancellationToken cancellationToken = default)
    {
        var env = SimTasks.Create(_config.Task, _config.Observation);
        var episode = new EpisodeState(env, Observe(env, env.Reset(seed)), _policy.ObservationSteps, SessionOf(seed));
        Queue.Clear();
        Publish(new ObservationTelemetry(episode.Session, 0, TelemetryCodec.Now(), ToFloat(episode.History[^1].State), null, false, false,
            Frames(episode.History[^1])));
        if (_config.Mode == RobotMode.Sync) await RunSyncAsync(episode, seed, cancellationToken).ConfigureAwait(false);
        else if (_config.Stream) await RunStreamedQueueAsync(episode, cancellationToken).ConfigureAwait(false);
        else await RunAsyncQueueAsync(episode, cancellationToken).ConfigureAwait(false);
        var mode = TaskModes.Classify(_config.Task, episode.AgentPath, episode.BlockPath);
        var result = new EpisodeResult(seed, episode.MaxReward, episode.MaxScore, episode.Success, env.StepCount, mode);
        return new RobotEpisode(result, episode.Plans, episode.Stalls, episode.Dropped, episode.Blended);
    }

    // Diffusion Policy's env runner: plan from the window, execute the Ta actions, repeat. The k-th plan of the
    // episode uses EpisodeSeeds.PlanSeed(seed, k), exactly as PolicyEvaluator does for a one-episode run.
    private async Task RunSyncAsync(EpisodeState e, long seed, CancellationToken ct)
    {
        while (!e.Done)
        {
            ct.ThrowIfCancellationRequested();
            if (!Queue.TryTake(e.Timestep, out var action))
            {
                var reply = await PlanAsync(e, EpisodeSeeds.PlanSeed(seed, e.Plans), ct).ConfigureAwait(false);
                Offer(e, reply);
                if (!Queue.TryTake(e.Timestep, out action))
                    throw new InvalidOperationException(
                        $"the server's reply for timestep {e.Timestep} holds no action for it (first action step: {reply.Actions.FirstOrDefault()?.Timestep})");
            }
            Execute(e, action);
        }
    }

    // LeRobot async inference: a request goes out when queue / Ta <= threshold and none is in flight; replies are
    // merged as they come; a step without a queued action waits for the reply in flight (a stall).
    private async Task RunAsyncQueueAsync(EpisodeState e, CancellationToken ct)
    {
        Task<PlanResponse>? inflight = null;
        var period = _config.ControlHz > 0 ? TimeSpan.FromSeconds(1 / _config.ControlHz) : TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        try
        {
            while (!e.Done)
            {
                ct.ThrowIfCancellationRequested();
                if (inflight is null && Queue.NeedsChunk(_policy.ActionSteps)) inflight = PlanAsync(e, null, ct);
                if (inflight is { IsCompleted: true })
                {
                    Offer(e, await inflight.ConfigureAwait(false));
                    inflight = null;
                    continue;
                }
                if (Queue.TryTake(e.Timestep, out var action))
                {
                    Execute(e, action);
                    if (period > TimeSpan.Zero)
                    {
                        var wait = (period * e.Timestep) - clock.Elapsed;
                        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct).ConfigureAwait(false);
                    }
                }
                else if (inflight is not null)
                {
                    e.Stalls++;
                    Offer(e, await inflight.ConfigureAwait(false));
                    inflight = null;
                }
            }
        }
        finally
        {
            // Never leave a request running past the episode: its reply would belong to a finished session.
            if (inflight is not null)
                try { await inflight.ConfigureAwait(false); }
                catch (Grpc.Core.RpcException) { }
        }
    }

    // The async queue over one StreamPlans call: the same policy as RunAsyncQueueAsync, with requests written to
    // the stream and replies read by a background loop. One request is outstanding at a time, so the server's
    // newest-wins rule never has to skip one of ours.
    private async Task RunStreamedQueueAsync(EpisodeState e, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = _connection.Client.StreamPlans(new Grpc.Core.CallOptions(_connection.Headers, cancellationToken: stop.Token));
        var replies = System.Threading.Channels.Channel.CreateUnbounded<PlanResponse>(new() { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(async () =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(stop.Token).ConfigureAwait(false)) replies.Writer.TryWrite(call.ResponseStream.Current);
                replies.Writer.TryComplete();
            }
            catch (Exception ex) when (ex is Grpc.Core.RpcException or OperationCanceledException)
            {
                replies.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);
        var period = _config.ControlHz > 0 ? TimeSpan.FromSeconds(1 / _config.ControlHz) : TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        Stopwatch? outstanding = null;
        try
        {
            while (!e.Done)
            {
                ct.ThrowIfCancellationRequested();
                if (outstanding is null && Queue.NeedsChunk(_policy.ActionSteps))
                {
                    var request = PlanningMessages.Request(_policy.PolicyId, e.Session, e.History.TakeLast(_policy.ObservationSteps).ToArray(), e.Timestep,
                        null, _config.InferenceSteps);
                    outstanding = Stopwatch.StartNew();
                    await call.RequestStream.WriteAsync(request, ct).ConfigureAwait(false);
                }
                if (replies.Reader.TryRead(out var reply))
                {
                    Latency.Add(outstanding?.Elapsed.TotalMilliseconds ?? 0, reply.Timing?.TotalMs);
                    outstanding = null;
                    Offer(e, reply);
                    continue;
                }
                if (Queue.TryTake(e.Timestep, out var action))
                {
                    Execute(e, action);
                    if (period > TimeSpan.Zero)
                    {
                        var wait = (period * e.Timestep) - clock.Elapsed;
                        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct).ConfigureAwait(false);
                    }
                }
                else
                {
                    e.Stalls++;
                    // Completes with the server's status if the stream broke.
                    if (!await replies.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
                        throw new InvalidOperationException($"the plan stream of {e.Session} ended before the episode did");
                }
            }
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
        }
    }

    private async Task<PlanResponse> PlanAsync(EpisodeState e, long? seed, CancellationToken ct)
    {
        var request = PlanningMessages.Request(_policy.PolicyId, e.Session, e.History.TakeLast(_policy.ObservationSteps).ToArray(), e.Timestep, seed,
            _config.InferenceSteps);
        var watch = Stopwatch.StartNew();
        var reply = await _connection.PlanAsync(request, ct).ConfigureAwait(false);
        Latency.Add(watch.Elapsed.TotalMilliseconds, reply.Timing?.TotalMs);
        return reply;
    }

    private void Offer(EpisodeState e, PlanResponse reply)
    {
        var actions = PlanningMessages.Actions(reply);
        long last = Queue.LastExecutedTimestep;
        var before = Queue.Snapshot().Select(a => a.Timestep).ToHashSet();
        var merged = Queue.Offer(actions);
        foreach (var a in actions.Where(a => a.Timestep > last))
            e.Origin[a.Timestep] = (reply.ObservationTimestep, before.Contains(a.Timestep) || (e.Origin.TryGetValue(a.Timestep, out var o) && o.Blended));
        e.Plans++;
        e.Dropped += merged.Dropped;
        e.Blended += merged.Merged;
    }

    private void Execute(EpisodeState e, double[] action)
    {
        long t = e.Timestep;
        var (plan, blended) = e.Origin.Remove(t, out var o) ? o : (-1L, false);
        Publish(new ExecutedTelemetry(e.Session, t, TelemetryCodec.Now(), ToFloat(action), plan, blended));
        var r = e.Env.Step(action);
        var observation = Observe(e.Env, r.Observation);
        e.History.Add(observation);
        if (e.History.Count > 64) e.History.RemoveRange(0, e.History.Count - 16);
        e.MaxReward = Math.Max(e.MaxReward, r.Reward);
        e.MaxScore = Math.Max(e.MaxScore, r.Score);
        e.Success |= r.Success;
        e.AgentPath.Add(Agent(e.Env));
        if (e.Env is PushTEnv pusht) e.BlockPath.Add(pusht.State.Block);
        e.Timestep = t + 1;
        e.Done = r.Done;
        Publish(new ObservationTelemetry(e.Session, t + 1, TelemetryCodec.Now(), ToFloat(observation.State), r.Reward, r.Done, r.Success,
            Frames(observation)));
    }

    // The observation the policy conditions on: the state vector, or for a vision policy the pixel observation.
    private Observation Observe(ISimTask env, double[] state) =>
        _cameras.Length > 0 ? PixelObservations.Observe(env, _cameras) : Observation.FromState(state);

    // PNG frames for telemetry, only when someone listens (encoding costs about a millisecond per 96 x 96 frame).
    private TelemetryImage[]? Frames(Observation observation) =>
        _telemetry is null || observation.Images.Count == 0 ? null : [.. observation.Images.Select(TelemetryImage.Of)];

    private void Publish(ObservationTelemetry m) => _telemetry?.Publish(m);

    private void Publish(ExecutedTelemetry m) => _telemetry?.Publish(m);

    private static float[] ToFloat(double[] v) => Array.ConvertAll(v, x => (float)x);

    private static Vec2 Agent(ISimTask env) => env switch
    {
        PushTEnv p => p.State.Agent,
        BimodalReachEnv b => b.Agent,
        _ => Vec2.Zero,
    };

    private sealed class EpisodeState
    {
        public EpisodeState(ISimTask env, Observation first, int observationSteps, string session)
        {
            Env = env;
            Session = session;
            // Diffusion Policy's MultiStepWrapper starts the window by repeating the first observation.
            History = Enumerable.Repeat(first, observationSteps).ToList();
            AgentPath = [Agent(env)];
            BlockPath = env is PushTEnv pusht ? [pusht.State.Block] : [];
        }

        public ISimTask Env { get; }
        public string Session { get; }
        public List<Observation> History { get; }
        public List<Vec2> AgentPath { get; }
        public List<Pose2> BlockPath { get; }
        public Dictionary<long, (long Plan, bool Blended)> Origin { get; } = [];
        public long Timestep { get; set; }
        public bool Done { get; set; }
        public double MaxReward { get; set; }
        public double MaxScore { get; set; }
        public bool Success { get; set; }
        public int Plans { get; set; }
        public int Stalls { get; set; }
        public int Dropped { get; set; }
        public int Blended { get; set; }
    }
}
