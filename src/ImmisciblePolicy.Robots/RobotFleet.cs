using System.Diagnostics;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Robots.Telemetry;

namespace ImmisciblePolicy.Robots;

/// <summary>What a fleet run measured.</summary>
/// <param name="Evaluation">scores over all episodes, ordered by seed, in <see cref="PolicyEvaluator"/>'s terms.</param>
/// <param name="Latency">every plan request of every robot.</param>
/// <param name="Episodes">per-episode counters, ordered by seed.</param>
/// <param name="Retries">plan attempts retried because the server was unavailable.</param>
/// <param name="Elapsed">wall-clock time of the run.</param>
public sealed record FleetResult(EvaluationResult Evaluation, LatencyRecorder Latency, IReadOnlyList<RobotEpisode> Episodes, long Retries, TimeSpan Elapsed);

/// <summary>
/// Many robots against one server: <paramref name="robots"/> clients run concurrently, each taking the next
/// unplayed episode (seeds firstSeed + i) until all are done. Which robot plays which episode does not change
/// a sync-mode score: every episode's plans are seeded by its own seed.
/// </summary>
public static class RobotFleet
{
    /// <summary>Runs <paramref name="episodes"/> episodes over <paramref name="robots"/> robots.</summary>
    public static async Task<FleetResult> RunAsync(PlanningConnection connection, PolicyInfo policy, RobotConfig config, int robots, int episodes,
        long firstSeed = 100_000, RobotTelemetryPublisher? telemetry = null, Action<int, int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfLessThan(robots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        var results = new RobotEpisode?[episodes];
        var clients = Enumerable.Range(0, Math.Min(robots, episodes))
            .Select(r => new RobotClient($"robot-{r:D2}", connection, policy, config, telemetry)).ToArray();
        int next = -1, done = 0;
        long retriesBefore = connection.Retries;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(c => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < episodes)
            {
                results[i] = await c.RunEpisodeAsync(firstSeed + i, cancellationToken).ConfigureAwait(false);
                progress?.Invoke(Interlocked.Increment(ref done), episodes);
            }
        }, cancellationToken))).ConfigureAwait(false);
        var latency = new LatencyRecorder();
        foreach (var c in clients) latency.AddRange(c.Latency);
        var list = results.Select(r => r!).ToArray();
        var evaluation = new EvaluationResult(config.Task, list.Select(r => r.Result).ToArray(), latency.RoundTrip(0.5), latency.RoundTrip(0.95))
        {
            Observation = config.Observation,
        };
        return new FleetResult(evaluation, latency, list, connection.Retries - retriesBefore, watch.Elapsed);
    }
}
