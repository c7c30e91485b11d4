using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;
using ImmisciblePolicy.Sim.Rendering;

namespace ImmisciblePolicy.Robotics;

/// <summary>Closed-loop evaluation settings (Diffusion Policy's protocol by default).</summary>
/// <param name="Episodes">test episodes; Diffusion Policy uses 50.</param>
/// <param name="FirstSeed">seed of the first test episode; Diffusion Policy's test seeds start at 100000.</param>
/// <param name="ActionSteps">actions executed per plan (receding horizon, Ta); null = the planner's chunk.</param>
/// <param name="GifEpisodes">how many of the first episodes to render as animated GIFs.</param>
/// <param name="GifDirectory">where GIFs go.</param>
public sealed record EvaluationConfig(int Episodes = 50, long FirstSeed = 100_000, int? ActionSteps = null, int GifEpisodes = 0, string? GifDirectory = null);

/// <summary>One test episode.</summary>
/// <param name="Seed">reset seed.</param>
/// <param name="MaxReward">max over the episode of the step reward (Diffusion Policy's per-episode score).</param>
/// <param name="MaxScore">max task score (coverage for Push-T).</param>
/// <param name="Success">whether the success criterion held at some step.</param>
/// <param name="Steps">control steps taken.</param>
/// <param name="Mode">which side a bimodal rollout took; null for other tasks.</param>
public sealed record EpisodeResult(long Seed, double MaxReward, double MaxScore, bool Success, int Steps, ReachMode? Mode);

/// <summary>Scores of an evaluation, as the field reports them.</summary>
public sealed record EvaluationResult(SimTaskKind Task, IReadOnlyList<EpisodeResult> Episodes, double PlanMillisecondsP50, double PlanMillisecondsP95)
{
    /// <summary>Diffusion Policy's score: mean over episodes of the max reward (reward = clip(coverage / 0.95, 0, 1)).</summary>
    public double Score => Episodes.Average(e => e.MaxReward);

    /// <summary>LeRobot's success rate (coverage above 0.95 at some step for Push-T).</summary>
    public double SuccessRate => Episodes.Average(e => e.Success ? 1.0 : 0.0);

    /// <summary>LeRobot's average max overlap (mean of per-episode max coverage).</summary>
    public double AverageMaxScore => Episodes.Average(e => e.MaxScore);

    /// <summary>Fraction of rollouts per mode (bimodal task), in enum order.</summary>
    public IReadOnlyDictionary<ReachMode, double> ModeFrequencies =>
        Enum.GetValues<ReachMode>().ToDictionary(m => m, m => Episodes.Count(e => e.Mode == m) / (double)Episodes.Count);

    /// <summary>
    /// Total-variation distance between the histogram of the two solution modes (Left/Right, among rollouts
    /// that took one) and the uniform distribution: 0 = balanced, 0.5 = one mode only.
    /// </summary>
    public double ModeTotalVariation
    {
        get
        {
            int left = Episodes.Count(e => e.Mode == ReachMode.Left), right = Episodes.Count(e => e.Mode == ReachMode.Right);
            if (left + right == 0) return double.NaN;
            return 0.5 * (Math.Abs((left / (double)(left + right)) - 0.5) + Math.Abs((right / (double)(left + right)) - 0.5));
        }
    }
}

/// <summary>
/// Runs a planner in closed loop on a task, every episode in lockstep so that one batched planner call serves
/// all environments that need a new chunk (the receding-horizon loop of Diffusion Policy's env runner: keep the
/// last To observations, plan, execute Ta actions, repeat).
/// </summary>
public static class PolicyEvaluator
{
    /// <summary>Evaluates <paramref name="planner"/> on <paramref name="task"/>.</summary>
    public static EvaluationResult Evaluate(IActionChunkPlanner planner, SimTaskKind task, EvaluationConfig config,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(planner);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.Episodes, 1);
        int n = config.Episodes;
        var envs = new ISimTask[n];
        var history = new List<Observation>[n];
        // A planner with cameras observes pixels (agent position + rendered frames); others the task's state vector.
        var cameras = planner.Cameras;
        Observation Observe(ISimTask env, double[] state) => cameras.Count > 0 ? PixelObservations.Observe(env, cameras) : Observation.FromState(state);
        var results = new EpisodeResult?[n];
        var maxReward = new double[n];
        var maxScore = new double[n];
        var success = new bool[n];
        var agentPath = new List<Vec2>[n];
        var frames = new List<RgbFrame>?[n];
        var planTimes = new List<double>();
        for (int i = 0; i < n; i++)
        {
            envs[i] = SimTasks.Create(task);
            var obs = envs[i].Reset(config.FirstSeed + i);
            // Diffusion Policy's MultiStepWrapper starts the window by repeating the first observation.
            history[i] = Enumerable.Repeat(Observe(envs[i], obs), planner.ObservationSteps).ToList();
            agentPath[i] = [Agent(envs[i])];
            if (i < config.GifEpisodes) frames[i] = [Render(envs[i], null)];
        }

        int finished = 0;
        long call = 0;
        while (finished < n)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var active = Enumerable.Range(0, n).Where(i => results[i] is null).ToArray();
            var windows = active.Select(i => new ObservationWindow([.. history[i].TakeLast(planner.ObservationSteps)])).ToArray();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var plans = planner.Plan(windows, config.FirstSeed * 1_000_003 + call++);
            planTimes.Add(watch.Elapsed.TotalMilliseconds / Math.Max(1, active.Length));
            for (int a = 0; a < active.Length; a++)
            {
                int i = active[a];
                var chunk = plans[a];
                int steps = Math.Min(config.ActionSteps ?? chunk.Length, chunk.Length);
                for (int s = 0; s < steps && results[i] is null; s++)
                {
                    var r = envs[i].Step(chunk[s]);
                    history[i].Add(Observe(envs[i], r.Observation));
                    maxReward[i] = Math.Max(maxReward[i], r.Reward);
                    maxScore[i] = Math.Max(maxScore[i], r.Score);
                    success[i] |= r.Success;
                    agentPath[i].Add(Agent(envs[i]));
                    frames[i]?.Add(Render(envs[i], chunk[s..]));
                    if (r.Done)
                    {
                        results[i] = new EpisodeResult(config.FirstSeed + i, maxReward[i], maxScore[i], success[i], envs[i].StepCount,
                            task == SimTaskKind.Bimodal ? BimodalReachEnv.ModeOf(agentPath[i], ((BimodalReachEnv)envs[i]).Config) : null);
                        finished++;
                        progress?.Invoke(finished, n);
                    }
                }
                if (history[i].Count > 64) history[i].RemoveRange(0, history[i].Count - 16);
            }
        }

        if (config.GifEpisodes > 0)
        {
            var dir = config.GifDirectory ?? ".";
            Directory.CreateDirectory(dir);
            for (int i = 0; i < n; i++)
                if (frames[i] is { } f) GifWriter.Write(Path.Combine(dir, $"{task.ToString().ToLowerInvariant()}-seed{config.FirstSeed + i}.gif"), f);
        }
        planTimes.Sort();
        return new EvaluationResult(task, results.Select(r => r!).ToArray(), Percentile(planTimes, 0.5), Percentile(planTimes, 0.95));
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Floor(q * (sorted.Count - 1) + 0.5))];

    private static Vec2 Agent(ISimTask env) => env switch
    {
        PushTEnv p => p.State.Agent,
        BimodalReachEnv b => b.Agent,
        _ => Vec2.Zero,
    };

    private static RgbFrame Render(ISimTask env, double[][]? chunk)
    {
        var points = chunk?.Select(a => new Vec2(a[0], a[1])).ToList();
        using var bitmap = env switch
        {
            PushTEnv p => SceneRenderer.DrawPushT(p.State, 256, points),
            BimodalReachEnv b => SceneRenderer.DrawBimodal(b.Config, b.Agent, 256, points),
            _ => throw new ArgumentException($"no renderer for {env.GetType().Name}", nameof(env)),
        };
        return RgbFrame.FromBitmap(bitmap);
    }
}
