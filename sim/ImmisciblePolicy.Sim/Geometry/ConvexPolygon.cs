namespace ImmisciblePolicy.Sim.Geometry;

/// <summary>
/// A convex polygon stored counter-clockwise (positive signed area in x-right/y-up maths
/// convention). Immutable; the vertex array is never exposed for writing.
/// </summary>
public sealed class ConvexPolygon
{
    private readonly Vec2[] _vertices;

    /// <summary>Builds a convex polygon; clockwise input is reversed so the stored order is counter-clockwise.</summary>
    public ConvexPolygon(IReadOnlyList<Vec2> vertices)
    {
        ArgumentNullException.ThrowIfNull(vertices);
        if (vertices.Count < 3)
        {
            throw new ArgumentException($"A polygon needs at least 3 vertices; received {vertices.Count}.", nameof(vertices));
        }

        var copy = vertices.ToArray();
        foreach (var v in copy)
        {
            if (!v.IsFinite)
            {
                throw new ArgumentException($"Polygon vertices must be finite; received {v}.", nameof(vertices));
            }
        }

        if (SignedArea(copy) < 0)
        {
            Array.Reverse(copy);
        }

        _vertices = copy;
    }

    private ConvexPolygon(Vec2[] counterClockwise, bool _) => _vertices = counterClockwise;

    public IReadOnlyList<Vec2> Vertices => _vertices;

    public int Count => _vertices.Length;

    /// <summary>Shoelace area (always non-negative).</summary>
    public double Area => Math.Abs(SignedArea(_vertices));

    public ConvexPolygon Transformed(Pose2 pose)
    {
        var world = new Vec2[_vertices.Length];
        for (int i = 0; i < world.Length; i++)
        {
            world[i] = pose.LocalToWorld(_vertices[i]);
        }

        // A rotation keeps the orientation, so the result is still counter-clockwise.
        return new ConvexPolygon(world, true);
    }

    /// <summary>
    /// Area of the intersection of two convex polygons by Sutherland-Hodgman clipping of
    /// <paramref name="subject"/> against every edge of <paramref name="clip"/> (exact up to
    /// floating-point rounding; polygons that only share an edge give zero).
    /// </summary>
    public static double IntersectionArea(ConvexPolygon subject, ConvexPolygon clip)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(clip);
        var output = new List<Vec2>(subject._vertices);
        var input = new List<Vec2>(subject._vertices.Length + clip._vertices.Length);
        var c = clip._vertices;
        for (int e = 0; e < c.Length && output.Count > 0; e++)
        {
            Vec2 a = c[e], b = c[(e + 1) % c.Length];
            (input, output) = (output, input);
            output.Clear();
            for (int i = 0; i < input.Count; i++)
            {
                Vec2 p = input[i], q = input[(i + 1) % input.Count];
                // Inside = left of the directed edge a->b for a counter-clockwise clip polygon.
                double sp = Vec2.Cross(b - a, p - a);
                double sq = Vec2.Cross(b - a, q - a);
                if (sp >= 0)
                {
                    output.Add(p);
                }

                if ((sp >= 0) != (sq >= 0))
                {
                    double t = sp / (sp - sq);
                    output.Add(p + ((q - p) * t));
                }
            }
        }

        return output.Count < 3 ? 0.0 : Math.Abs(SignedArea(output));
    }

    private static double SignedArea(IReadOnlyList<Vec2> v)
    {
        double twice = 0;
        for (int i = 0; i < v.Count; i++)
        {
            twice += Vec2.Cross(v[i], v[(i + 1) % v.Count]);
        }

        return 0.5 * twice;
    }
}
