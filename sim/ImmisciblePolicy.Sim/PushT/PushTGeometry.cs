using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Geometric queries on a Push-T state that the scripted expert, the renderer and the tests use (the physics
/// itself lives in <see cref="PushTWorld"/>): disc-polygon distance, agent overlap and wall excursion.
/// </summary>
internal static class PushTGeometry
{
    /// <summary>Agent disc radius (gym-pusht add_circle(..., 15)).</summary>
    public const double AgentRadius = PushTWorld.AgentRadius;

    /// <summary>Inner faces of the wall segments: segments at 5 and 506 with radius 2 (gym-pusht _setup).</summary>
    public const double WallMin = 5 + PushTWorld.WallRadius;

    /// <summary>See <see cref="WallMin"/>.</summary>
    public const double WallMax = 506 - PushTWorld.WallRadius;

    /// <summary>Deepest overlap of the agent disc with the T (0 when apart).</summary>
    public static double AgentPenetration(PushTState s)
    {
        Span<Vec2> verts = stackalloc Vec2[8];
        WorldVertices(s.Block, verts);
        double depth = 0;
        for (int part = 0; part < 2; part++)
        {
            depth = Math.Max(depth, -DiscToPolygon(s.Agent, AgentRadius, verts.Slice(part * 4, 4)).Gap);
        }

        return depth;
    }

    /// <summary>Deepest excursion of any T vertex beyond the walls' inner faces (0 when inside).</summary>
    public static double WallPenetration(Pose2 block)
    {
        Span<Vec2> verts = stackalloc Vec2[8];
        WorldVertices(block, verts);
        double depth = 0;
        foreach (var v in verts)
        {
            depth = Math.Max(depth, Math.Max(Math.Max(WallMin - v.X, v.X - WallMax), Math.Max(WallMin - v.Y, v.Y - WallMax)));
        }

        return depth;
    }

    /// <summary>
    /// Signed gap between a disc and a convex polygon (negative = overlap), the unit normal from
    /// the polygon towards the disc centre and the contact point on the polygon boundary.
    /// </summary>
    internal static (double Gap, Vec2 Normal, Vec2 Point) DiscToPolygon(Vec2 centre, double radius, ReadOnlySpan<Vec2> poly)
    {
        bool inside = true;
        double bestOutside = double.PositiveInfinity;
        Vec2 bestPoint = default;
        double leastDepth = double.PositiveInfinity;
        Vec2 depthNormal = default;
        Vec2 depthPoint = default;
        // The boxes are stored counter-clockwise in maths orientation (ConvexPolygon), so the
        // outward normal of edge a->b is (dy, -dx) / |d|.
        for (int i = 0; i < poly.Length; i++)
        {
            Vec2 a = poly[i], b = poly[(i + 1) % poly.Length];
            Vec2 d = b - a;
            double len = d.Length;
            Vec2 outward = new Vec2(d.Y, -d.X) / len;
            double signed = Vec2.Dot(centre - a, outward);
            if (signed > 0)
            {
                inside = false;
            }

            double t = Math.Clamp(Vec2.Dot(centre - a, d) / (len * len), 0, 1);
            Vec2 q = a + (d * t);
            double dist = (centre - q).Length;
            if (dist < bestOutside)
            {
                bestOutside = dist;
                bestPoint = q;
            }

            if (-signed < leastDepth)
            {
                leastDepth = -signed;
                depthNormal = outward;
                depthPoint = centre - (outward * signed);
            }
        }

        if (inside)
        {
            return (-leastDepth - radius, depthNormal, depthPoint);
        }

        Vec2 normal = bestOutside > 1e-12 ? (centre - bestPoint) / bestOutside : depthNormal;
        return (bestOutside - radius, normal, bestPoint);
    }

    private static void WorldVertices(Pose2 block, Span<Vec2> verts)
    {
        for (int part = 0; part < 2; part++)
        {
            var local = TShape.Parts[part].Vertices;
            for (int i = 0; i < 4; i++)
            {
                verts[(part * 4) + i] = block.LocalToWorld(local[i]);
            }
        }
    }
}
