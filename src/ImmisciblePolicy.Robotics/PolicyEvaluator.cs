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
public sealed record EvaluationConfig(int Episodes = 50, long FirstSeed = 100_000, int? ActionSteps = null, int GifEpisodes = 0, string? GifDirectory = null)
{
    /// <summary>Push-T observation layout of the environments: must be what the policy was trained on.</summary>
    public PushTObservation Observation { get; init; } = SimTasks.DefaultObservation;

    /// <summary>The demonstrations' mode mix, the reference of <see cref="EvaluationResult.ModeTotalVariationToDemonstrations"/>.</summary>
    public IReadOnlyList<ModeShare>? DemonstrationModes { get; init; }

    /// <summary>This config with the observation layout and demonstration mix a checkpoint records.</summary>
    public EvaluationConfig For(PolicyRunConfig policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return this with { Observation = policy.Observation, DemonstrationModes = policy.DemonstrationModes };
    }
}

/// <summary>One test episode.</summary>
/// <param name="Seed">reset seed.</param>
/// <param name="MaxReward">max over the episode of the step reward (Diffusion Policy's per-episode score).</param>
/// <param name="MaxScore">max task score (coverage for Push-T).</param>
/// <param name="Success">whether the success criterion held at some step.</param>
/// <param name="Steps">control steps taken.</param>
/// <param name="Mode">the solution mode the rollout took (<see cref="TaskModes"/>: a mode name or "none"); null when unknown.</param>
public sealed record EpisodeResult(long Seed, double MaxReward, double MaxScore, bool Success, int Steps, string? Mode);

/// <summary>Share of rollouts in one mode with its 95 % Wilson interval.</summary>
/// <param name="Mode">mode name, or <see cref="TaskModes.Unclassified"/>.</param>
/// <param name="Count">rollouts in the mode.</param>
/// <param name="Share">Count / all rollouts.</param>
/// <param name="Interval">95 % Wilson interval of the share.</param>
public sealed record ModeFrequency(string Mode, int Count, double Share, ProportionInterval Interval);

/// <summary>Scores of an evaluation, as the field reports them.</summary>
public sealed record EvaluationResult(SimTaskKind Task, IReadOnlyList<EpisodeResult> Episodes, double PlanMillisecondsP50, double PlanMillisecondsP95)
{
    /// <summary>Diffusion Policy's score: mean over episodes of the max reward (reward = clip(coverage / 0.95, 0, 1)).</summary>
    public double Score => Episodes.Average(e => e.MaxReward);

    /// <summary>LeRobot's success rate (coverage above 0.95 at some step for Push-T).</summary>
    public double SuccessRate => Episodes.Average(e => e.Success ? 1.0 : 0.0);

    /// <summary>LeRobot's average max overlap (mean of per-episode max coverage).</summary>
    public double AverageMaxScore => Episodes.Average(e => e.MaxScore);

    /// <summary>The task's solution modes.</summary>
    public IReadOnlyList<string> ModeNames => TaskModes.Names(Task);

    /// <summary>The demonstrations' mode mix (from the checkpoint), or null when unknown.</summary>
    public IReadOnlyList<ModeShare>? DemonstrationModes { get; init; }

    /// <summary>The Push-T observation layout the episodes were run with.</summary>
    public PushTObservation Observation { get; init; } = SimTasks.DefaultObservation;

    /// <summary>Fraction of all rollouts per mode name, then <see cref="TaskModes.Unclassified"/>.</summary>
    public IReadOnlyDictionary<string, double> ModeFrequencies => ModeTable.ToDictionary(f => f.Mode, f => f.Share);

    /// <summary>Per mode name, then <see cref="TaskModes.Unclassified"/>: count, share of all rollouts and its 95 % Wilson interval.</summary>
    public IReadOnlyList<ModeFrequency> ModeTable =>
        [.. ModeNames.Append(TaskModes.Unclassified).Select(m =>
        {
            int count = Episodes.Count(e => e.Mode == m);
            return new ModeFrequency(m, count, count / (double)Episodes.Count, ProportionInterval.Wilson(count, Episodes.Count));
        })];

    /// <summary>Rollouts that took one of the solution modes.</summary>
    public int ClassifiedEpisodes => Episodes.Count(e => e.Mode is { } m && ModeNames.Contains(m));

    /// <summary>
    /// Total-variation distance between the mode histogram (among rollouts that took a mode) and the uniform
    /// distribution: 0 = balanced, 0.5 = one of two modes only (the bimodal task's reference). NaN when no rollout took a mode.
    /// </summary>
    public double ModeTotalVariation => TotalVariation(ModeNames.Select(_ => 1.0 / ModeNames.Count).ToArray());

    /// <summary>
    /// Total-variation distance between the mode histogram (among rollouts that took a mode) and the demonstrations' mix
    /// ("Immiscible Diffusion Policy": 0 = the policy reproduces the demonstrated mix, larger = closer to collapse onto
    /// one mode). NaN when the mix is unknown or no rollout took a mode.
    /// </summary>
    public double ModeTotalVariationToDemonstrations => DemonstrationMix() is { } q ? TotalVariation(q) : double.NaN;

    /// <summary>95 % interval of <see cref="ModeTotalVariation"/> (two-mode tasks; see <see cref="TotalVariationInterval"/>).</summary>
    public ProportionInterval? ModeTotalVariationInterval => TotalVariationInterval(ModeNames.Select(_ => 1.0 / ModeNames.Count).ToArray());

    /// <summary>95 % interval of <see cref="ModeTotalVariationToDemonstrations"/> (two-mode tasks).</summary>
    public ProportionInterval? ModeTotalVariationToDemonstrationsInterval => DemonstrationMix() is { } q ? TotalVariationInterval(q) : null;

    /// <summary>The demonstrations' shares of the task's modes, renormalised over them; null when unknown.</summary>
    public double[]? DemonstrationMix()
    {
        if (DemonstrationModes is not { Count: > 0 } demos) return null;
        double[] q = [.. ModeNames.Select(m => demos.Where(d => d.Mode == m).Sum(d => d.Share))];
        double total = q.Sum();
        return total > 0 ? [.. q.Select(v => v / total)] : null;
    }

    private double TotalVariation(double[] reference)
    {
        int n = ClassifiedEpisodes;
        if (n == 0) return double.NaN;
        return 0.5 * ModeNames.Select((m, i) => Math.Abs((Episodes.Count(e => e.Mode == m) / (double)n) - reference[i])).Sum();
    }

    /// <summary>
    /// With two modes the distance is |p - q| for the first mode's share p among classified rollouts, so the Wilson
    /// interval [lo, hi] of p maps to [distance from q to [lo, hi], max(|lo - q|, |hi - q|)]. Null for other mode counts
    /// or when no rollout took a mode.
    /// </summary>
    private ProportionInterval? TotalVariationInterval(double[] reference)
    {
        int n = ClassifiedEpisodes;
        if (ModeNames.Count != 2 || n == 0) return null;
        var p = ProportionInterval.Wilson(Episodes.Count(e => e.Mode == ModeNames[0]), n);
        double q = reference[0];
        double low = q >= p.Low && q <= p.High ? 0 : Math.Min(Math.Abs(p.Low - q), Math.Abs(p.High - q));
        return new ProportionInterval(low, Math.Max(Math.Abs(p.Low - q), Math.Abs(p.High - q)));
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
        if (planner is TrainedPolicy trained && task == SimTaskKind.PushT && trained.Config.Observation != config.Observation)
            throw new ArgumentException(
                $"the policy was trained on {trained.Config.Observation} observations but the evaluation builds {config.Observation} environments; " +
                "use EvaluationConfig.For(policy.Config)", nameof(config));
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
        var blockPath = new List<Pose2>[n];
        var frames = new List<RgbFrame>?[n];
        var planTimes = new List<double>();
        for (int i = 0; i < n; i++)
        {
            envs[i] = SimTasks.Create(task, config.Observation);
            var obs = envs[i].Reset(config.FirstSeed + i);
            // Diffusion Policy's MultiStepWrapper starts the window by repeating the first observation.
            history[i] = Enumerable.Repeat(Observe(envs[i], obs), planner.ObservationSteps).ToList();
            agentPath[i] = [Agent(envs[i])];
            blockPath[i] = envs[i] is PushTEnv p0 ? [p0.State.Block] : [];
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
                    if (envs[i] is PushTEnv p) blockPath[i].Add(p.State.Block);
                    frames[i]?.Add(Render(envs[i], chunk[s..]));
                    if (r.Done)
                    {
                        results[i] = new EpisodeResult(config.FirstSeed + i, maxReward[i], maxScore[i], success[i], envs[i].StepCount,
                            TaskModes.Classify(task, agentPath[i], blockPath[i]));
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
        return new EvaluationResult(task, results.Select(r => r!).ToArray(), Percentile(planTimes, 0.5), Percentile(planTimes, 0.95))
        {
            DemonstrationModes = config.DemonstrationModes,
            Observation = config.Observation,
        };
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
