using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Gives a Push-T trajectory its solution mode from what a rollout shows: the direction in which the T turned in
/// total. The net rotation is the sum of the per-step angle changes, each wrapped into (-pi, pi] (the block turns
/// far less than half a turn per control step), so it works on wrapped angles (the state observation's angle mod
/// 2 pi) as well as on unwrapped ones. A net turn of at least <see cref="MinimumRotation"/> clockwise (on screen,
/// i.e. increasing body angle) is <see cref="PushTMode.Clockwise"/>, as much the other way
/// <see cref="PushTMode.CounterClockwise"/>, anything smaller <see cref="PushTMode.None"/> (unclassifiable: the
/// agent never turned the block, or barely).
/// <para>
/// Why rotation: from the same initial state the T can be turned onto the goal angle either way, and the two ways
/// need pushes on opposite sides of the T (a frictionless push at point r along inward normal -n turns the block
/// by -(r x n) / I), so the two modes are different action sequences, not different timings of one. The expert's
/// own labels are recovered unless the turn it was asked for is shorter than the threshold (about 1.6 % of
/// uniformly drawn initial angles per mode).
/// </para>
/// </summary>
public static class PushTModeClassifier
{
    /// <summary>Smallest net turn (radians, about 5.7 degrees) that counts as a mode.</summary>
    public const double MinimumRotation = 0.1;

    /// <summary>Net signed rotation of a sequence of block angles (radians; positive = clockwise on screen).</summary>
    public static double NetRotation(IReadOnlyList<double> blockAngles)
    {
        ArgumentNullException.ThrowIfNull(blockAngles);
        double net = 0;
        for (int t = 0; t < blockAngles.Count; t++)
        {
            if (!double.IsFinite(blockAngles[t]))
            {
                throw new ArgumentException($"Block angle {t} must be finite; received {blockAngles[t]}.", nameof(blockAngles));
            }

            if (t > 0)
            {
                net += Wrap(blockAngles[t] - blockAngles[t - 1]);
            }
        }

        return net;
    }

    /// <summary>The mode of a net rotation (see the class remarks).</summary>
    public static PushTMode FromNetRotation(double netRotation) =>
        !double.IsFinite(netRotation) ? throw new ArgumentException($"Net rotation must be finite; received {netRotation}.", nameof(netRotation))
        : netRotation >= MinimumRotation ? PushTMode.Clockwise
        : netRotation <= -MinimumRotation ? PushTMode.CounterClockwise
        : PushTMode.None;

    /// <summary>The mode of a trajectory of block poses (one per control step, the initial pose first).</summary>
    public static PushTMode Classify(IReadOnlyList<Pose2> blockPoses)
    {
        ArgumentNullException.ThrowIfNull(blockPoses);
        return FromNetRotation(NetRotation(blockPoses.Select(p => p.Angle).ToArray()));
    }

    /// <summary>The mode of a trajectory of observations of the given layout (block angles recovered from them).</summary>
    public static PushTMode Classify(IReadOnlyList<double[]> observations, PushTObservation layout)
    {
        ArgumentNullException.ThrowIfNull(observations);
        return FromNetRotation(NetRotation(observations.Select(o => BlockAngle(o, layout)).ToArray()));
    }

    /// <summary>
    /// The block angle an observation shows: the state layout's angle entry, or for the point layouts the
    /// rotation that best maps the known body-frame points onto the observed ones (2D Procrustes: with both point
    /// sets centred, angle = atan2(sum p x q, sum p . q)). Exact for noise-free observations, modulo 2 pi.
    /// </summary>
    public static double BlockAngle(double[] observation, PushTObservation layout)
    {
        ArgumentNullException.ThrowIfNull(observation);
        int size = PushTEnv.SizeOf(layout);
        if (observation.Length != size)
        {
            throw new ArgumentException($"A {layout} observation has {size} values; received {observation.Length}.", nameof(observation));
        }

        if (layout == PushTObservation.State)
        {
            return observation[4];
        }

        IReadOnlyList<Vec2> local = layout == PushTObservation.Keypoints ? TKeypoints.Local : TBoxCorners.Local;
        Vec2 localMean = Vec2.Zero, worldMean = Vec2.Zero;
        for (int i = 0; i < local.Count; i++)
        {
            localMean += local[i] / local.Count;
            worldMean += new Vec2(observation[2 * i], observation[(2 * i) + 1]) / local.Count;
        }

        double cross = 0, dot = 0;
        for (int i = 0; i < local.Count; i++)
        {
            Vec2 p = local[i] - localMean;
            Vec2 q = new Vec2(observation[2 * i], observation[(2 * i) + 1]) - worldMean;
            cross += Vec2.Cross(p, q);
            dot += Vec2.Dot(p, q);
        }

        return Math.Atan2(cross, dot);
    }

    private static double Wrap(double a)
    {
        a %= 2 * Math.PI;
        return a > Math.PI ? a - (2 * Math.PI) : a <= -Math.PI ? a + (2 * Math.PI) : a;
    }
}
