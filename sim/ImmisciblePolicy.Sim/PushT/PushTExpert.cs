using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Scripted Push-T demonstrator: contact-sampling model-predictive pushing.
/// <para>
/// Each decision (1) computes the desired planar twist of the block (translation of the centre of
/// gravity to the goal's, rotation to the goal angle); (2) scores candidate contacts along the T's
/// outer boundary by how well a frictionless push there (impulse along the inward normal: twist
/// (-n, -(r x n) / I)) aligns with that twist, in a metric that weighs rotation by sqrt(I / m);
/// (3) for the best contacts and a few push lengths (fractions of the least-squares optimal length
/// J* = &lt;t, e&gt; / |t|^2) builds a macro action: a collision-free route to a point 3 px off the
/// contact (straight if clear, else out to a clearance circle, round it, and in along the normal),
/// a straight push along -n, then a short settle; (4) simulates every macro on a clone of the
/// environment (the simulator is deterministic, so the prediction is exact) and executes the one
/// with the lowest pose error plus a per-step penalty, or the fastest one that reaches success.
/// Actions are targets spaced a few pixels apart along the path, i.e. smooth, human-like sequences.
/// </para>
/// <para>
/// Modes: by default the T is turned the shorter way onto the goal angle (one strategy per initial state). Given a
/// <see cref="PushTMode"/> the expert turns it that way instead, up to a full turn, by aiming at an unwrapped target
/// angle (<see cref="TargetAngle"/>) and penalising macros that leave the block more than half a turn short of it
/// (<see cref="DirectionPenalty"/>); both modes solve the same initial state with pushes on opposite sides of the T,
/// which is what makes the demonstrations a genuinely multimodal target.
/// </para>
/// </summary>
public sealed class PushTExpert
{
    // Outer boundary of the T (union of bar and stem) in body coordinates with outward normals.
    private static readonly (Vec2 A, Vec2 B, Vec2 Normal)[] Edges =
    [
        (new(-60, 0), new(60, 0), new(0, -1)),
        (new(60, 0), new(60, 30), new(1, 0)),
        (new(60, 30), new(15, 30), new(0, 1)),
        (new(15, 30), new(15, 120), new(1, 0)),
        (new(15, 120), new(-15, 120), new(0, 1)),
        (new(-15, 120), new(-15, 30), new(-1, 0)),
        (new(-15, 30), new(-60, 30), new(0, 1)),
        (new(-60, 30), new(-60, 0), new(-1, 0)),
    ];

    /// <summary>Gap (px) between the agent disc and the contact point before a push starts.</summary>
    private const double ApproachGap = 3;

    private readonly List<(Vec2 Point, Vec2 Normal)> _contacts;

    public PushTExpert(PushTExpertConfig? config = null)
    {
        Config = config ?? new PushTExpertConfig();
        if (Config.ContactSpacing <= 0 || Config.TopContacts <= 0 || Config.TravelSpeed <= 0 || Config.PushSpeed <= 0
            || Config.MinPush <= 0 || Config.MaxPush < Config.MinPush || Config.ClearanceRadius < 95)
        {
            throw new ArgumentException($"Invalid expert settings: {Config}.", nameof(config));
        }

        _contacts = CandidateContacts(Config.ContactSpacing, Config.CornerMargin);
    }

    public PushTExpertConfig Config { get; }

    /// <summary>
    /// Pose error (px): mean distance between the T's 8 box corners at <paramref name="block"/> and
    /// at the goal; zero exactly at the goal pose.
    /// </summary>
    public static double PoseError(Pose2 block)
    {
        double sum = 0;
        foreach (var part in TShape.Parts)
        {
            foreach (var v in part.Vertices)
            {
                sum += (block.LocalToWorld(v) - PushTConfig.GoalPose.LocalToWorld(v)).Length;
            }
        }

        return sum / 8;
    }

    /// <summary>Runs from the environment's current state until the episode ends, turning the T the shorter way.</summary>
    /// <param name="env">the environment, reset.</param>
    /// <param name="observed">called with the environment right after each observation is recorded, before its action
    /// is applied (a camera renders the frame that goes with that observation).</param>
    public ExpertEpisode Run(PushTEnv env, Action<ISimTask>? observed = null) => Run(env, PushTMode.None, observed: observed);

    /// <summary>
    /// Runs from the environment's current state until the episode ends, turning the T onto the goal angle in
    /// the direction <paramref name="mode"/> names (<see cref="PushTMode.None"/>: the shorter way, the unimodal
    /// expert). With <paramref name="human"/> the episode gets human-like variability drawn from
    /// <paramref name="seed"/>: its own travel and push speeds, pauses before some moves and small corrections
    /// (jitter) of the travel targets.
    /// </summary>
    /// <param name="observed">called with the environment right after each observation is recorded, before its action
    /// is applied.</param>
    public ExpertEpisode Run(PushTEnv env, PushTMode mode, HumanVariability? human = null, long seed = 0, Action<ISimTask>? observed = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown Push-T mode");
        }

        human?.Validate();
        var style = Style.For(Config, human, seed);
        double target = TargetAngle(env.State.Block.Angle, mode);
        bool directed = mode != PushTMode.None;
        var observations = new List<double[]>();
        var actions = new List<double[]>();
        var rewards = new List<double>();
        double maxCoverage = env.Coverage;
        StepResult? last = null;
        Vec2? lastTarget = null;
        while (last is not { Done: true } && env.StepCount < env.MaxSteps)
        {
            var plan = new List<Vec2>();
            if (style.Random is { } random && random.NextDouble() < human!.HesitationProbability)
            {
                // A pause: keep commanding the previous target for a few steps before the next move.
                int hold = 1 + random.Next(human.MaxHesitationSteps);
                plan.AddRange(Enumerable.Repeat(lastTarget ?? env.State.Agent, hold));
            }

            plan.AddRange(PlanMacro(env, directed ? target : null, style));
            foreach (var t in plan)
            {
                double[] action = [t.X, t.Y];
                observations.Add(env.Observe());
                observed?.Invoke(env);
                actions.Add(action);
                last = env.Step(action);
                lastTarget = t;
                rewards.Add(last.Reward);
                maxCoverage = Math.Max(maxCoverage, last.Score);
                if (last.Done || env.StepCount >= env.MaxSteps)
                {
                    break;
                }
            }
        }

        return new ExpertEpisode(observations, actions, rewards, env.Coverage, maxCoverage, last?.Success ?? false);
    }

    /// <summary>
    /// The unwrapped block angle the expert turns the T to from <paramref name="start"/>: the goal angle reached
    /// the shorter way (<see cref="PushTMode.None"/>), by increasing the angle (<see cref="PushTMode.Clockwise"/>,
    /// up to a full turn) or by decreasing it (<see cref="PushTMode.CounterClockwise"/>).
    /// </summary>
    public static double TargetAngle(double start, PushTMode mode)
    {
        double goal = PushTConfig.GoalPose.Angle;
        double up = (goal - start) % (2 * Math.PI);
        if (up < 0)
        {
            up += 2 * Math.PI;
        }

        return mode switch
        {
            PushTMode.None => start + WrapAngle(goal - start),
            PushTMode.Clockwise => start + up,
            PushTMode.CounterClockwise => start + up - (2 * Math.PI),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown Push-T mode"),
        };
    }

    /// <summary>The next macro action (a sequence of targets) chosen by simulating candidates on clones.</summary>
    public IReadOnlyList<Vec2> Plan(PushTEnv env) => PlanMacro(env, null, Style.For(Config, null, 0));

    /// <param name="env">the environment in its current state (not modified).</param>
    /// <param name="targetAngle">unwrapped block angle to reach, or null for the goal angle the shorter way.</param>
    /// <param name="style">speeds and optional jitter of this episode.</param>
    private List<Vec2> PlanMacro(PushTEnv env, double? targetAngle, Style style)
    {
        ArgumentNullException.ThrowIfNull(env);
        var state = env.State;
        Pose2 block = state.Block;
        Vec2 cog = state.BlockCenterOfGravity;
        Vec2 goalCog = PushTConfig.GoalPose.LocalToWorld(TShape.CenterOfGravity);
        Vec2 ev = goalCog - cog;
        // A directed mode keeps the remaining rotation unwrapped (up to a full turn), so the desired twist asks
        // for the chosen direction; the shorter way wraps it into (-pi, pi].
        double ew = targetAngle is double t ? t - block.Angle : WrapAngle(PushTConfig.GoalPose.Angle - block.Angle);
        double rho2 = Config.RotationRadius * Config.RotationRadius;
        double eNorm = Math.Sqrt(ev.LengthSquared + (rho2 * ew * ew));
        int remaining = env.MaxSteps - env.StepCount;

        // Rank contacts by the alignment of their push twist with the desired twist.
        var ranked = new List<(double Align, Vec2 P, Vec2 N, double Length)>();
        foreach (var (pl, nl) in _contacts)
        {
            Vec2 p = block.LocalToWorld(pl);
            Vec2 n = nl.Rotated(block.Angle);
            Vec2 r = p - cog;
            Vec2 tv = -n / TShape.Mass;
            double tw = -Vec2.Cross(r, n) / TShape.MomentOfInertia;
            double dot = Vec2.Dot(tv, ev) + (rho2 * tw * ew);
            double tNorm2 = tv.LengthSquared + (rho2 * tw * tw);
            if (dot <= 0 || eNorm < 1e-9)
            {
                continue;
            }

            // Least-squares impulse J* = <t, e> / |t|^2; the contact point moves k J* along -n.
            double k = (1.0 / TShape.Mass) + (Vec2.Cross(r, n) * Vec2.Cross(r, n) / TShape.MomentOfInertia);
            ranked.Add((dot / (Math.Sqrt(tNorm2) * eNorm), p, n, k * dot / tNorm2));
        }

        ranked.Sort((a, b) => b.Align.CompareTo(a.Align));
        List<Vec2>? best = null;
        double bestScore = double.PositiveInfinity;
        foreach (var c in ranked.Take(Config.TopContacts))
        {
            foreach (double length in PushLengths(c.Length))
            {
                var macro = BuildMacro(state, c.P, c.N, length, style);
                if (macro.Count > remaining)
                {
                    macro = macro.GetRange(0, remaining);
                }

                double score = Evaluate(env, macro, targetAngle, out int used);
                if (score < bestScore)
                {
                    bestScore = score;
                    best = used < macro.Count ? macro.GetRange(0, used) : macro;
                }
            }
        }

        // No aligned contact (already at the goal or numerically degenerate): hold position.
        return best ?? [state.Agent];
    }

    /// <summary>Fractions of the optimal push length, plus fixed short pushes for the last pixels.</summary>
    private IEnumerable<double> PushLengths(double optimal)
    {
        foreach (double f in Config.EffectivePushFractions)
        {
            yield return Math.Clamp(f * optimal, Config.MinPush, Config.MaxPush);
        }

        if (optimal < 4 * Config.FinePush)
        {
            yield return Config.FinePush;
            yield return 2 * Config.FinePush;
        }
    }

    private double Evaluate(PushTEnv env, List<Vec2> macro, double? targetAngle, out int used)
    {
        var sim = env.Clone();
        used = 0;
        foreach (var t in macro)
        {
            var r = sim.Step([t.X, t.Y]);
            used++;
            if (r.Success)
            {
                // Any success beats any non-success; among them the quickest wins.
                return -1e6 + used;
            }
        }

        return PoseError(sim.State.Block) + DirectionPenalty(sim.State.Block.Angle, targetAngle) + (Config.StepPenalty * used);
    }

    /// <summary>
    /// Extra cost (px-equivalent) of a block angle that is more than half a turn short of the directed target:
    /// 2 rho (|d| - pi) for a remaining rotation d with |d| > pi, else 0. <see cref="PoseError"/> is periodic in
    /// the angle, so past half a turn it would pull the block back the shorter way; with slope 2 rho = 110 px/rad
    /// against at most ~70 px/rad of PoseError (the mean corner radius) the sum falls monotonically along the
    /// chosen direction, and within half a turn of the target the cost is PoseError alone, as for the unimodal
    /// expert.
    /// </summary>
    private double DirectionPenalty(double angle, double? targetAngle) =>
        targetAngle is double t ? 2 * Config.RotationRadius * Math.Max(0, Math.Abs(t - angle) - Math.PI) : 0;

    private List<Vec2> BuildMacro(PushTState state, Vec2 p, Vec2 n, double length, Style style)
    {
        Vec2 qNear = p + (n * (PushTGeometry.AgentRadius + ApproachGap));
        var waypoints = Route(state, qNear, n);
        var targets = new List<Vec2>();
        Sample(targets, state.Agent, waypoints, style.TravelSpeed);
        if (style.Random is { } random && style.Jitter > 0)
        {
            // Small corrections: the travel targets wobble by a few pixels (a hand is not a plotter). The
            // jitter is part of the candidate, so the simulation that scores it sees exactly what would run.
            for (int i = 0; i < targets.Count; i++)
            {
                targets[i] += new Vec2(Gaussian(random), Gaussian(random)) * style.Jitter;
            }
        }

        // Let the agent catch up with the approach point before pushing (PD lag ~ 2 target spacings).
        targets.Add(qNear);
        Vec2 pushEnd = p + (n * (PushTGeometry.AgentRadius - length));
        Sample(targets, qNear, [pushEnd], style.PushSpeed);
        for (int i = 0; i < Config.SettleSteps; i++)
        {
            targets.Add(pushEnd);
        }

        return targets;
    }

    private static double Gaussian(System.Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Per-episode speeds and the random source of human-like variability (null when off).</summary>
    private sealed record Style(double TravelSpeed, double PushSpeed, double Jitter, System.Random? Random)
    {
        public static Style For(PushTExpertConfig config, HumanVariability? human, long seed)
        {
            if (human is null)
            {
                return new Style(config.TravelSpeed, config.PushSpeed, 0, null);
            }

            var random = new System.Random(unchecked((int)seed ^ (int)(seed >> 32) ^ 0x5eed));
            double travel = config.TravelSpeed * (1 + (human.SpeedSpread * ((2 * random.NextDouble()) - 1)));
            double push = config.PushSpeed * (1 + (human.SpeedSpread * ((2 * random.NextDouble()) - 1)));
            return new Style(travel, push, human.Jitter, random);
        }
    }

    private List<Vec2> Route(PushTState state, Vec2 qNear, Vec2 n)
    {
        if (SegmentClear(state.Agent, qNear, state.Block))
        {
            return [qNear];
        }

        Vec2 cog = state.BlockCenterOfGravity;
        double radius = Config.ClearanceRadius;
        var path = new List<Vec2>();
        Vec2 a = state.Agent;
        if ((a - cog).Length < radius)
        {
            // Leave along the normal of the nearest part of the T (moving away from it).
            Vec2 away = NearestNormal(a, state.Block);
            a += away * ExitDistance(a, away, cog, radius);
            path.Add(a);
        }

        Vec2 qFar = qNear + (n * ExitDistance(qNear, n, cog, radius));
        double from = Math.Atan2(a.Y - cog.Y, a.X - cog.X);
        double sweep = WrapAngle(Math.Atan2(qFar.Y - cog.Y, qFar.X - cog.X) - from);
        int segments = (int)Math.Ceiling(Math.Abs(sweep) / (Math.PI / 12));
        double arcRadius = Math.Max(radius, (a - cog).Length);
        for (int i = 1; i < segments; i++)
        {
            double ang = from + (sweep * i / segments);
            path.Add(cog + (new Vec2(Math.Cos(ang), Math.Sin(ang)) * arcRadius));
        }

        path.Add(qFar);
        path.Add(qFar);
        path.Add(qNear);
        return path;
    }

    /// <summary>Appends targets every <paramref name="spacing"/> px along the polyline, ending at its last point.</summary>
    private static void Sample(List<Vec2> targets, Vec2 start, IReadOnlyList<Vec2> waypoints, double spacing)
    {
        Vec2 cur = start;
        double carry = 0;
        foreach (var w in waypoints)
        {
            Vec2 d = w - cur;
            double len = d.Length;
            if (len < 1e-9)
            {
                targets.Add(w);
                continue;
            }

            double s = spacing - carry;
            while (s < len)
            {
                targets.Add(cur + (d * (s / len)));
                s += spacing;
            }

            carry = len - (s - spacing);
            cur = w;
        }

        if (targets.Count == 0 || targets[^1] != cur)
        {
            targets.Add(cur);
        }
    }

    private static bool SegmentClear(Vec2 a, Vec2 b, Pose2 block)
    {
        Span<Vec2> verts = stackalloc Vec2[4];
        double len = (b - a).Length;
        int samples = Math.Max(1, (int)Math.Ceiling(len / 4));
        for (int i = 0; i <= samples; i++)
        {
            Vec2 x = a + ((b - a) * ((double)i / samples));
            foreach (var part in TShape.Parts)
            {
                for (int k = 0; k < 4; k++)
                {
                    verts[k] = block.LocalToWorld(part.Vertices[k]);
                }

                if (PushTGeometry.DiscToPolygon(x, PushTGeometry.AgentRadius, verts).Gap < 1)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static Vec2 NearestNormal(Vec2 x, Pose2 block)
    {
        Span<Vec2> verts = stackalloc Vec2[4];
        double bestGap = double.PositiveInfinity;
        Vec2 normal = new(1, 0);
        foreach (var part in TShape.Parts)
        {
            for (int k = 0; k < 4; k++)
            {
                verts[k] = block.LocalToWorld(part.Vertices[k]);
            }

            var (gap, nrm, _) = PushTGeometry.DiscToPolygon(x, PushTGeometry.AgentRadius, verts);
            if (gap < bestGap)
            {
                bestGap = gap;
                normal = nrm;
            }
        }

        return normal;
    }

    /// <summary>Distance t >= 0 along unit <paramref name="d"/> from <paramref name="x"/> to the circle (c, R).</summary>
    private static double ExitDistance(Vec2 x, Vec2 d, Vec2 c, double radius)
    {
        Vec2 o = x - c;
        double b = Vec2.Dot(d, o);
        double disc = (b * b) - (o.LengthSquared - (radius * radius));
        return disc <= 0 ? 0 : Math.Max(0, -b + Math.Sqrt(disc));
    }

    private static double WrapAngle(double a)
    {
        a %= 2 * Math.PI;
        if (a > Math.PI)
        {
            a -= 2 * Math.PI;
        }
        else if (a < -Math.PI)
        {
            a += 2 * Math.PI;
        }

        return a;
    }

    private static List<(Vec2, Vec2)> CandidateContacts(double spacing, double margin)
    {
        var list = new List<(Vec2, Vec2)>();
        foreach (var (a, b, n) in Edges)
        {
            double len = (b - a).Length;
            int count = Math.Max(1, (int)Math.Floor((len - (2 * margin)) / spacing) + 1);
            double span = len - (2 * margin);
            for (int i = 0; i < count; i++)
            {
                double s = margin + (count == 1 ? span / 2 : span * i / (count - 1));
                list.Add((a + ((b - a) * (s / len)), n));
            }
        }

        return list;
    }
}
