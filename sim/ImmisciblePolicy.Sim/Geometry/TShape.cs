namespace ImmisciblePolicy.Sim.Geometry;

/// <summary>
/// The Push-T block: the union of two boxes that share only the edge y = 30.
/// <para>
/// Body coordinates follow gym-pusht (gym_pusht/envs/pusht.py, PushTEnv.add_tee with scale 30,
/// length 4): the bar is x in [-60, 60], y in [0, 30]; the stem is x in [-15, 15], y in [30, 120].
/// The body origin (what pymunk reports as <c>body.position</c> and what the observation holds)
/// is the midpoint of the bar's outer edge, local (0, 0). add_tee sets
/// <c>center_of_gravity = (cog(bar) + cog(stem)) / 2 = ((0, 15) + (0, 75)) / 2 = (0, 45)</c>: an
/// unweighted mean, not the area-weighted centroid (0, 40.71); rotations of the dynamics happen
/// about this point. The moment of inertia is <c>moment_for_poly(1, bar) * 2</c> (add_tee passes
/// the bar's vertices twice), i.e. 2 * (1 * (120^2 + 30^2) / 12 + 1 * 15^2) = 3000 about the
/// local origin, used unchanged about the centre of gravity as pymunk does.
/// </para>
/// </summary>
public static class TShape
{
    /// <summary>Bar half-width: length * scale / 2 with length 4, scale 30 (add_tee).</summary>
    public const double BarHalfWidth = 60;

    /// <summary>Bar thickness and stem width: scale = 30 (add_tee).</summary>
    public const double Thickness = 30;

    /// <summary>Stem end: length * scale = 120 (add_tee).</summary>
    public const double StemEnd = 120;

    /// <summary>Block mass (add_tee: mass = 1).</summary>
    public const double Mass = 1;

    /// <summary>Centre of gravity in body coordinates (add_tee, see the class remarks).</summary>
    public static readonly Vec2 CenterOfGravity = new(0, 45);

    public static ConvexPolygon Bar { get; } = new([
        new Vec2(-BarHalfWidth, Thickness), new Vec2(BarHalfWidth, Thickness),
        new Vec2(BarHalfWidth, 0), new Vec2(-BarHalfWidth, 0)]);

    public static ConvexPolygon Stem { get; } = new([
        new Vec2(-Thickness / 2, Thickness), new Vec2(-Thickness / 2, StemEnd),
        new Vec2(Thickness / 2, StemEnd), new Vec2(Thickness / 2, Thickness)]);

    /// <summary>The two convex parts in body coordinates: [bar, stem].</summary>
    public static IReadOnlyList<ConvexPolygon> Parts { get; } = [Bar, Stem];

    // Declared after Bar: static initialisers run in text order.
    /// <summary>Moment of inertia as add_tee computes it (see the class remarks).</summary>
    public static readonly double MomentOfInertia = 2 * MomentForPolyAboutOrigin(Mass, Bar.Vertices);

    /// <summary>Area of the T: 120 * 30 + 30 * 90 = 6300.</summary>
    public static double Area => Bar.Area + Stem.Area;

    /// <summary>
    /// The T's two parts placed at <paramref name="pose"/> (pose = world position of the body
    /// origin and the body angle, as pymunk's local_to_world).
    /// </summary>
    public static ConvexPolygon[] At(Pose2 pose) => [Bar.Transformed(pose), Stem.Transformed(pose)];

    /// <summary>
    /// area(T at a intersect T at b): the T is a union of two convex parts with disjoint interiors,
    /// so the intersection area is the sum over the 2 x 2 pairs of convex intersections.
    /// </summary>
    public static double IntersectionArea(Pose2 a, Pose2 b)
    {
        var pa = At(a);
        var pb = At(b);
        double sum = 0;
        foreach (var p in pa)
        {
            foreach (var q in pb)
            {
                sum += ConvexPolygon.IntersectionArea(p, q);
            }
        }

        return sum;
    }

    /// <summary>
    /// Coverage = area(T at block intersect T at goal) / area(T), as gym-pusht's
    /// PushTEnv._get_coverage (there computed with shapely on the same polygons).
    /// </summary>
    public static double Coverage(Pose2 block, Pose2 goal) => IntersectionArea(block, goal) / Area;

    /// <summary>
    /// pymunk/Chipmunk cpMomentForPoly with zero offset and radius: the moment of a uniform polygon
    /// of mass m about the local origin, m * sum(cross * (v1.v1 + v1.v2 + v2.v2)) / (6 * sum(cross)).
    /// </summary>
    internal static double MomentForPolyAboutOrigin(double mass, IReadOnlyList<Vec2> v)
    {
        double sum1 = 0, sum2 = 0;
        for (int i = 0; i < v.Count; i++)
        {
            Vec2 v1 = v[i], v2 = v[(i + 1) % v.Count];
            double a = Vec2.Cross(v2, v1);
            double b = Vec2.Dot(v1, v1) + Vec2.Dot(v1, v2) + Vec2.Dot(v2, v2);
            sum1 += a * b;
            sum2 += a;
        }

        return mass * sum1 / (6.0 * sum2);
    }
}
