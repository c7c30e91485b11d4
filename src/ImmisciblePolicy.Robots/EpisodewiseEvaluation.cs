using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Robots;

/// <summary>
/// Closed-loop evaluation one episode at a time: episode i is <see cref="PolicyEvaluator.Evaluate"/> of that
/// single episode (seed FirstSeed + i), so its plans never share a batch with another episode's. This is the
/// in-process reference a fleet of robots reproduces exactly, whatever the number of robots and however the
/// episodes are spread over them.
/// </summary>
public static class EpisodewiseEvaluation
{
    /// <summary>Evaluates <paramref name="planner"/> on <paramref name="episodes"/> episodes with seeds firstSeed, firstSeed + 1, ...</summary>
    /// <param name="settings">observation layout and demonstration mix (<see cref="EvaluationConfig.For"/>); episodes and seeds come from the arguments.</param>
    public static EvaluationResult Evaluate(IActionChunkPlanner planner, SimTaskKind task, int episodes, long firstSeed = 100_000,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default, EvaluationConfig? settings = null)
    {
        ArgumentNullException.ThrowIfNull(planner);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        var results = new List<EpisodeResult>(episodes);
        var p50 = new List<double>();
        var p95 = new List<double>();
        for (int i = 0; i < episodes; i++)
        {
            var one = PolicyEvaluator.Evaluate(planner, task, (settings ?? new EvaluationConfig()) with
            {
                Episodes = 1, FirstSeed = firstSeed + i, GifEpisodes = 0,
            }, cancellationToken: cancellationToken);
            results.Add(one.Episodes[0]);
            p50.Add(one.PlanMillisecondsP50);
            p95.Add(one.PlanMillisecondsP95);
            progress?.Invoke(i + 1, episodes);
        }
        return new EvaluationResult(task, results, p50.Average(), p95.Max()) { DemonstrationModes = settings?.DemonstrationModes, Observation = settings?.Observation ?? SimTasks.DefaultObservation };
    }
}
