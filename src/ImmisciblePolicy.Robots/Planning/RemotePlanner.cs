using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Robots.Planning;

/// <summary>
/// <see cref="IActionChunkPlanner"/> over gRPC: each observation window becomes a unary Plan call with a fixed
/// seed. The server draws each request's noise from its own seed, so a reply equals what the in-process
/// <see cref="TrainedPolicy.PlanChunks"/> returns for that window and seed: bit for bit when the server plans
/// it as a batch of one (float32 on the wire is lossless: the policy's inputs and outputs are float32), and to
/// float32 rounding (1e-5 of the action range) when it shares a batch with other requests. Several windows
/// go out concurrently, window b with seed + b; in-process batched sampling draws the batch's noise from one
/// generator instead, so agreement holds per episode (one window per call), as
/// <see cref="EpisodewiseEvaluation"/> evaluates.
/// </summary>
public sealed class RemotePlanner : IActionChunkPlanner
{
    private readonly PlanningConnection _connection;
    private readonly int? _inferenceSteps;
    private long _call;

    /// <param name="connection">the server link (not owned).</param>
    /// <param name="policy">the served policy, from <see cref="PlanningConnection.ResolvePolicyAsync"/>.</param>
    /// <param name="inferenceSteps">denoising steps override; null = the policy's default.</param>
    public RemotePlanner(PlanningConnection connection, PolicyInfo policy, int? inferenceSteps = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(policy);
        _connection = connection;
        Policy = policy;
        _inferenceSteps = inferenceSteps;
    }

    /// <summary>The served policy's description.</summary>
    public PolicyInfo Policy { get; }

    /// <inheritdoc />
    public int ObservationSteps => Policy.ObservationSteps;

    /// <summary>Round-trip milliseconds of every call so far.</summary>
    public LatencyRecorder Latency { get; } = new();

    /// <inheritdoc />
    public IReadOnlyList<ImmisciblePolicy.Policy.Data.ImageFeature> Cameras =>
        [.. Policy.ImageFeatures.Select(f => new ImmisciblePolicy.Policy.Data.ImageFeature(f.Name, f.Height, f.Width, f.Channels))];

    /// <inheritdoc />
    public double[][][] Plan(IReadOnlyList<double[][]> windows, long seed)
    {
        ArgumentNullException.ThrowIfNull(windows);
        return Plan([.. windows.Select(ObservationWindow.FromStates)], seed);
    }

    /// <inheritdoc />
    public double[][][] Plan(IReadOnlyList<ObservationWindow> windows, long seed)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0) throw new ArgumentException("expected at least one observation window; got none", nameof(windows));
        long call = Interlocked.Increment(ref _call);
        var replies = Task.WhenAll(windows.Select((w, b) => PlanOneAsync(w, seed + b, $"planner-{call}-{b}"))).GetAwaiter().GetResult();
        return replies;
    }

    private async Task<double[][]> PlanOneAsync(ObservationWindow window, long seed, string session)
    {
        var request = PlanningMessages.Request(Policy.PolicyId, session, window.Steps, 0, seed, _inferenceSteps);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var reply = await _connection.PlanAsync(request).ConfigureAwait(false);
        Latency.Add(watch.Elapsed.TotalMilliseconds, reply.Timing?.TotalMs);
        return PlanningMessages.Actions(reply).Select(a => a.Action).ToArray();
    }
}
