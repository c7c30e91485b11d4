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

    /// <summary>Runs from the environment's current state until the episode ends.</summary>
    /// <param name="observed">called with the environment right after each observation is recorded, before its action
    /// is applied (a camera renders the frame that goes with that observation).</param>
    public ExpertEpisode Run(PushTEnv env, Action<ISimTask>? observed = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        var observations = new List<double[]>();
        var actions = new List<double[]>();
        var rewards = new List<double>();
        double maxCoverage = env.Coverage;
        StepResult? last = null;
        while (last is not { Done: true } && env.StepCount < env.MaxSteps)
        {
            var plan = Plan(env);
            foreach (var target in plan)
            {
                double[] action = [target.X, target.Y];
                observations.Add(env.Observe());
                observed?.Invoke(env);
                actions.Add(action);
                last = env.Step(action);
                rewards.Add(last.Reward);
                maxCoverage = Math.Max(maxCoverage, last.Score);
                if (last.Done)
                {
                    break;
                }
            }
        }

        return new ExpertEpisode(observations, actions, rewards, env.Coverage, maxCoverage, last?.Success ?? false);
    }

    /// <summary>The next macro action (a sequence of targets) chosen by simulating candidates on clones.</summary>
    public IReadOnlyList<Vec2> Plan(PushTEnv env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var state = env.State;
        Pose2 block = state.Block;
        Vec2 cog = state.BlockCenterOfGravity;
        Vec2 goalCog = PushTConfig.GoalPose.LocalToWorld(TShape.CenterOfGravity);
        Vec2 ev = goalCog - cog;
        double ew = WrapAngle(PushTConfig.GoalPose.Angle - block.Angle);
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
        IReadOnlyList<Vec2>? best = null;
        double bestScore = double.PositiveInfinity;
        foreach (var c in ranked.Take(Config.TopContacts))
        {
            foreach (double length in PushLengths(c.Length))
            {
                var macro = BuildMacro(state, c.P, c.N, length);
                if (macro.Count > remaining)
                {
                    macro = macro.GetRange(0, remaining);
                }

                double score = Evaluate(env, macro, out int used);
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

    private double Evaluate(PushTEnv env, List<Vec2> macro, out int used)
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

        return PoseError(sim.State.Block) + (Config.StepPenalty * used);
    }

    private List<Vec2> BuildMacro(PushTState state, Vec2 p, Vec2 n, double length)
    {
        Vec2 qNear = p + (n * (PushTPhysics.AgentRadius + ApproachGap));
        var waypoints = Route(state, qNear, n);
        var targets = new List<Vec2>();
        Sample(targets, state.Agent, waypoints, Config.TravelSpeed);
        // Let the agent catch up with the approach point before pushing (PD lag ~ 2 target spacings).
        targets.Add(qNear);
        Vec2 pushEnd = p + (n * (PushTPhysics.AgentRadius - length));
        Sample(targets, qNear, [pushEnd], Config.PushSpeed);
        for (int i = 0; i < Config.SettleSteps; i++)
        {
            targets.Add(pushEnd);
        }

        return targets;
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

                if (PushTPhysics.DiscToPolygon(x, PushTPhysics.AgentRadius, verts).Gap < 1)
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

            var (gap, nrm, _) = PushTPhysics.DiscToPolygon(x, PushTPhysics.AgentRadius, verts);
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
