using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// Narrow phase of Chipmunk2D 7.0.3 (src/cpCollision.c) for the pairs Push-T produces: circle-segment
/// (agent and walls, discarded later since both bodies have infinite mass), circle-polygon (agent and T),
/// segment-polygon (walls and T) and polygon-polygon. Closest features come from GJK on the Minkowski
/// difference (EPA when the shapes overlap), started from the support indexes cached in the pair's
/// collision id; contacts come from clipping the two support edges (ContactPoints). Every branch,
/// tie-break and operation order follows the C source so the contacts are bit-identical.
/// </summary>
internal static class Collision
{
    private const int MaxGjkIterations = 30;
    private const int MaxEpaIterations = 30;

    /// <summary>cpCollide: orders the pair by shape kind and runs the matching collision function, filling <paramref name="info"/>.</summary>
    public static CollisionInfo Collide(Shape a, Shape b, uint id, CollisionInfo info)
    {
        info.Reset(a, b, id);
        if (a.Kind > b.Kind)
        {
            info.A = b;
            info.B = a;
        }

        switch ((info.A.Kind, info.B.Kind))
        {
            case (ShapeKind.Circle, ShapeKind.Segment):
                CircleToSegment((CircleShape)info.A, (SegmentShape)info.B, info);
                break;
            case (ShapeKind.Circle, ShapeKind.Poly):
                CircleToPoly((CircleShape)info.A, (PolyShape)info.B, info);
                break;
            case (ShapeKind.Segment, ShapeKind.Poly):
                SegmentToPoly((SegmentShape)info.A, (PolyShape)info.B, info);
                break;
            case (ShapeKind.Poly, ShapeKind.Poly):
                PolyToPoly((PolyShape)info.A, (PolyShape)info.B, info);
                break;
            default:
                throw new NotSupportedException($"Collision {info.A.Kind}-{info.B.Kind} is not part of Push-T.");
        }

        return info;
    }

    // ---- Support points and edges ----

    private readonly record struct SupportPoint(Vec2 P, uint Index);

    /// <summary>A point of the Minkowski difference B - A with the support points it came from.</summary>
    private readonly record struct MinkowskiPoint(Vec2 A, Vec2 B, Vec2 AB, uint Id)
    {
        /// <summary>MinkowskiPointNew: id = (a.index &amp; 0xFF) &lt;&lt; 8 | (b.index &amp; 0xFF).</summary>
        public static MinkowskiPoint New(SupportPoint a, SupportPoint b) =>
            new(a.P, b.P, b.P - a.P, ((a.Index & 0xFF) << 8) | (b.Index & 0xFF));
    }

    private readonly record struct ClosestPoints(Vec2 A, Vec2 B, Vec2 N, double D, uint Id);

    private readonly record struct EdgePoint(Vec2 P, ulong Hash);

    private readonly record struct Edge(EdgePoint A, EdgePoint B, double R, Vec2 N);

    /// <summary>SupportContext: the two shapes whose Minkowski difference GJK samples.</summary>
    private readonly record struct SupportContext(Shape Shape1, Shape Shape2)
    {
        /// <summary>Support: the maximal point of B - A along n (A sampled along -n).</summary>
        public MinkowskiPoint Support(Vec2 n) => MinkowskiPoint.New(SupportOf(Shape1, -n), SupportOf(Shape2, n));
    }

    private static SupportPoint SupportOf(Shape shape, Vec2 n)
    {
        switch (shape)
        {
            case CircleShape circle:
                return new SupportPoint(circle.WorldCenter, 0);
            case SegmentShape seg:
                // SegmentSupportPoint.
                return Vec2.Dot(seg.WorldA, n) > Vec2.Dot(seg.WorldB, n)
                    ? new SupportPoint(seg.WorldA, 0)
                    : new SupportPoint(seg.WorldB, 1);
            case PolyShape poly:
                int i = PolySupportPointIndex(poly, n);
                return new SupportPoint(poly.WorldVertex(i), (uint)i);
            default:
                throw new NotSupportedException(shape.Kind.ToString());
        }
    }

    /// <summary>PolySupportPointIndex: the first vertex with the largest dot product.</summary>
    private static int PolySupportPointIndex(PolyShape poly, Vec2 n)
    {
        double max = double.NegativeInfinity;
        int index = 0;
        for (int i = 0; i < poly.Count; i++)
        {
            double d = Vec2.Dot(poly.WorldVertex(i), n);
            if (d > max)
            {
                max = d;
                index = i;
            }
        }

        return index;
    }

    /// <summary>ShapePoint: a support point from a cached index.</summary>
    private static SupportPoint ShapePoint(Shape shape, uint i)
    {
        switch (shape)
        {
            case CircleShape circle:
                return new SupportPoint(circle.WorldCenter, 0);
            case SegmentShape seg:
                return new SupportPoint(i == 0 ? seg.WorldA : seg.WorldB, i);
            case PolyShape poly:
                uint index = i < (uint)poly.Count ? i : 0;
                return new SupportPoint(poly.WorldVertex((int)index), index);
            default:
                return new SupportPoint(Vec2.Zero, 0);
        }
    }

    private static Edge SupportEdgeForPoly(PolyShape poly, Vec2 n)
    {
        int count = poly.Count;
        int i1 = PolySupportPointIndex(poly, n);
        int i0 = (i1 - 1 + count) % count;
        int i2 = (i1 + 1) % count;
        ulong hashid = poly.HashId;
        if (Vec2.Dot(n, poly.WorldNormal(i1)) > Vec2.Dot(n, poly.WorldNormal(i2)))
        {
            return new Edge(
                new EdgePoint(poly.WorldVertex(i0), CpMath.HashPair(hashid, (ulong)i0)),
                new EdgePoint(poly.WorldVertex(i1), CpMath.HashPair(hashid, (ulong)i1)),
                poly.Radius,
                poly.WorldNormal(i1));
        }

        return new Edge(
            new EdgePoint(poly.WorldVertex(i1), CpMath.HashPair(hashid, (ulong)i1)),
            new EdgePoint(poly.WorldVertex(i2), CpMath.HashPair(hashid, (ulong)i2)),
            poly.Radius,
            poly.WorldNormal(i2));
    }

    private static Edge SupportEdgeForSegment(SegmentShape seg, Vec2 n)
    {
        ulong hashid = seg.HashId;
        if (Vec2.Dot(seg.WorldNormal, n) > 0.0)
        {
            return new Edge(new EdgePoint(seg.WorldA, CpMath.HashPair(hashid, 0)), new EdgePoint(seg.WorldB, CpMath.HashPair(hashid, 1)), seg.Radius, seg.WorldNormal);
        }

        return new Edge(new EdgePoint(seg.WorldB, CpMath.HashPair(hashid, 1)), new EdgePoint(seg.WorldA, CpMath.HashPair(hashid, 0)), seg.Radius, -seg.WorldNormal);
    }

    // ---- GJK / EPA ----

    /// <summary>ClosestT: t in [-1, 1] of the point of segment (a, b) closest to the origin.</summary>
    private static double ClosestT(Vec2 a, Vec2 b)
    {
        Vec2 delta = b - a;
        return -CpMath.Clamp(Vec2.Dot(delta, a + b) / CpMath.LengthSq(delta), -1.0, 1.0);
    }

    /// <summary>LerpT: cpvlerp with t in [-1, 1].</summary>
    private static Vec2 LerpT(Vec2 a, Vec2 b, double t)
    {
        double ht = 0.5 * t;
        return (a * (0.5 - ht)) + (b * (0.5 + ht));
    }

    private static ClosestPoints ClosestPointsNew(MinkowskiPoint v0, MinkowskiPoint v1)
    {
        double t = ClosestT(v0.AB, v1.AB);
        Vec2 p = LerpT(v0.AB, v1.AB, t);
        Vec2 pa = LerpT(v0.A, v1.A, t);
        Vec2 pb = LerpT(v0.B, v1.B, t);
        uint id = ((v0.Id & 0xFFFF) << 16) | (v1.Id & 0xFFFF);
        Vec2 delta = v1.AB - v0.AB;
        Vec2 n = CpMath.Normalize(CpMath.RPerp(delta));
        double d = Vec2.Dot(n, p);
        if (d <= 0.0 || (-1.0 < t && t < 1.0))
        {
            return new ClosestPoints(pa, pb, n, d, id);
        }

        // Vertex/vertex: the separating axis is the direction to the closest point itself.
        double d2 = CpMath.Length(p);
        Vec2 n2 = p * (1.0 / (d2 + CpMath.FloatMin));
        return new ClosestPoints(pa, pb, n2, d2, id);
    }

    private static double ClosestDist(Vec2 v0, Vec2 v1) => CpMath.LengthSq(LerpT(v0, v1, ClosestT(v0, v1)));

    private static ClosestPoints EpaRecurse(in SupportContext ctx, ReadOnlySpan<MinkowskiPoint> hull, int iteration)
    {
        int count = hull.Length;
        int mini = 0;
        double minDist = double.PositiveInfinity;
        for (int j = 0, i = count - 1; j < count; i = j, j++)
        {
            double d = ClosestDist(hull[i].AB, hull[j].AB);
            if (d < minDist)
            {
                minDist = d;
                mini = i;
            }
        }

        MinkowskiPoint v0 = hull[mini];
        MinkowskiPoint v1 = hull[(mini + 1) % count];
        MinkowskiPoint p = ctx.Support(CpMath.Perp(v1.AB - v0.AB));
        bool duplicate = p.Id == v0.Id || p.Id == v1.Id;
        if (!duplicate && CpMath.CheckPointGreater(v0.AB, v1.AB, p.AB) && iteration < MaxEpaIterations)
        {
            // Rebuild the hull with p inserted after the closest edge.
            Span<MinkowskiPoint> hull2 = stackalloc MinkowskiPoint[count + 1];
            int count2 = 1;
            hull2[0] = p;
            for (int i = 0; i < count; i++)
            {
                int index = (mini + 1 + i) % count;
                Vec2 h0 = hull2[count2 - 1].AB;
                Vec2 h1 = hull[index].AB;
                Vec2 h2 = (i + 1 < count ? hull[(index + 1) % count] : p).AB;
                if (CpMath.CheckPointGreater(h0, h2, h1))
                {
                    hull2[count2] = hull[index];
                    count2++;
                }
            }

            return EpaRecurse(ctx, hull2[..count2], iteration + 1);
        }

        return ClosestPointsNew(v0, v1);
    }

    private static ClosestPoints GjkRecurse(in SupportContext ctx, MinkowskiPoint v0, MinkowskiPoint v1, int iteration)
    {
        while (true)
        {
            if (iteration > MaxGjkIterations)
            {
                return ClosestPointsNew(v0, v1);
            }

            if (CpMath.CheckPointGreater(v1.AB, v0.AB, Vec2.Zero))
            {
                // Origin is behind the axis: flip and try again (same iteration).
                (v0, v1) = (v1, v0);
                continue;
            }

            double t = ClosestT(v0.AB, v1.AB);
            Vec2 n = -1.0 < t && t < 1.0 ? CpMath.Perp(v1.AB - v0.AB) : -LerpT(v0.AB, v1.AB, t);
            MinkowskiPoint p = ctx.Support(n);
            if (CpMath.CheckPointGreater(p.AB, v0.AB, Vec2.Zero) && CpMath.CheckPointGreater(v1.AB, p.AB, Vec2.Zero))
            {
                // The triangle v0, p, v1 contains the origin: EPA finds the penetration axis.
                ReadOnlySpan<MinkowskiPoint> triangle = [v0, p, v1];
                return EpaRecurse(ctx, triangle, 1);
            }

            if (CpMath.CheckAxis(v0.AB, v1.AB, p.AB, n))
            {
                return ClosestPointsNew(v0, v1);
            }

            if (ClosestDist(v0.AB, p.AB) < ClosestDist(p.AB, v1.AB))
            {
                v1 = p;
            }
            else
            {
                v0 = p;
            }

            iteration++;
        }
    }

    /// <summary>GJK: starts from the cached support indexes when the id is non-zero, else from the boxes' centres.</summary>
    private static ClosestPoints Gjk(in SupportContext ctx, CollisionInfo info)
    {
        MinkowskiPoint v0, v1;
        uint id = info.Id;
        if (id != 0)
        {
            v0 = MinkowskiPoint.New(ShapePoint(ctx.Shape1, (id >> 24) & 0xFF), ShapePoint(ctx.Shape2, (id >> 16) & 0xFF));
            v1 = MinkowskiPoint.New(ShapePoint(ctx.Shape1, (id >> 8) & 0xFF), ShapePoint(ctx.Shape2, id & 0xFF));
        }
        else
        {
            Vec2 axis = CpMath.Perp(ctx.Shape1.BB.Center - ctx.Shape2.BB.Center);
            v0 = ctx.Support(axis);
            v1 = ctx.Support(-axis);
        }

        ClosestPoints points = GjkRecurse(ctx, v0, v1, 1);
        info.Id = points.Id;
        return points;
    }

    // ---- Contact clipping ----

    /// <summary>ContactPoints: clips the two support edges against each other; keeps the overlapping end points.</summary>
    private static void ContactPoints(Edge e1, Edge e2, ClosestPoints points, CollisionInfo info)
    {
        double mindist = e1.R + e2.R;
        if (!(points.D <= mindist))
        {
            return;
        }

        Vec2 n = points.N;
        info.N = n;
        double dE1A = Vec2.Cross(e1.A.P, n);
        double dE1B = Vec2.Cross(e1.B.P, n);
        double dE2A = Vec2.Cross(e2.A.P, n);
        double dE2B = Vec2.Cross(e2.B.P, n);
        double e1Denom = 1.0 / (dE1B - dE1A + CpMath.FloatMin);
        double e2Denom = 1.0 / (dE2B - dE2A + CpMath.FloatMin);
        {
            Vec2 p1 = (n * e1.R) + CpMath.Lerp(e1.A.P, e1.B.P, CpMath.Clamp01((dE2B - dE1A) * e1Denom));
            Vec2 p2 = (n * -e2.R) + CpMath.Lerp(e2.A.P, e2.B.P, CpMath.Clamp01((dE1A - dE2A) * e2Denom));
            double dist = Vec2.Dot(p2 - p1, n);
            if (dist <= 0.0)
            {
                info.PushContact(p1, p2, CpMath.HashPair(e1.A.Hash, e2.B.Hash));
            }
        }

        {
            Vec2 p1 = (n * e1.R) + CpMath.Lerp(e1.A.P, e1.B.P, CpMath.Clamp01((dE2A - dE1A) * e1Denom));
            Vec2 p2 = (n * -e2.R) + CpMath.Lerp(e2.A.P, e2.B.P, CpMath.Clamp01((dE1B - dE2A) * e2Denom));
            double dist = Vec2.Dot(p2 - p1, n);
            if (dist <= 0.0)
            {
                info.PushContact(p1, p2, CpMath.HashPair(e1.B.Hash, e2.A.Hash));
            }
        }
    }

    // ---- Collision functions ----

    private static void CircleToSegment(CircleShape circle, SegmentShape segment, CollisionInfo info)
    {
        Vec2 segA = segment.WorldA;
        Vec2 segB = segment.WorldB;
        Vec2 center = circle.WorldCenter;
        Vec2 segDelta = segB - segA;
        double closestT = CpMath.Clamp01(Vec2.Dot(segDelta, center - segA) / CpMath.LengthSq(segDelta));
        Vec2 closest = segA + (segDelta * closestT);
        double mindist = circle.Radius + segment.Radius;
        Vec2 delta = closest - center;
        double distsq = CpMath.LengthSq(delta);
        if (distsq < mindist * mindist)
        {
            double dist = Math.Sqrt(distsq);
            Vec2 n = dist != 0 ? delta * (1.0 / dist) : segment.WorldNormal;
            info.N = n;
            // End caps are rejected only where neighbour tangents are set (never here).
            Vec2 rot = new(segment.Body.Transform.A, segment.Body.Transform.B);
            if ((closestT != 0.0 || Vec2.Dot(n, CpMath.Rotate(segment.ATangent, rot)) >= 0.0)
                && (closestT != 1.0 || Vec2.Dot(n, CpMath.Rotate(segment.BTangent, rot)) >= 0.0))
            {
                info.PushContact(center + (n * circle.Radius), closest + (n * -segment.Radius), 0);
            }
        }
    }

    private static void CircleToPoly(CircleShape circle, PolyShape poly, CollisionInfo info)
    {
        var ctx = new SupportContext(circle, poly);
        ClosestPoints points = Gjk(ctx, info);
        if (points.D <= circle.Radius + poly.Radius)
        {
            Vec2 n = points.N;
            info.N = n;
            // 7.0.3 adds +n * poly.r on the polygon side (later releases use -r); Push-T's polygons have r = 0.
            info.PushContact(points.A + (n * circle.Radius), points.B + (n * poly.Radius), 0);
        }
    }

    private static void SegmentToPoly(SegmentShape seg, PolyShape poly, CollisionInfo info)
    {
        var ctx = new SupportContext(seg, poly);
        ClosestPoints points = Gjk(ctx, info);
        Vec2 n = points.N;
        Vec2 rot = new(seg.Body.Transform.A, seg.Body.Transform.B);
        if (points.D - seg.Radius - poly.Radius <= 0.0
            && (!CpMath.Equal(points.A, seg.WorldA) || Vec2.Dot(n, CpMath.Rotate(seg.ATangent, rot)) <= 0.0)
            && (!CpMath.Equal(points.A, seg.WorldB) || Vec2.Dot(n, CpMath.Rotate(seg.BTangent, rot)) <= 0.0))
        {
            ContactPoints(SupportEdgeForSegment(seg, n), SupportEdgeForPoly(poly, -n), points, info);
        }
    }

    private static void PolyToPoly(PolyShape poly1, PolyShape poly2, CollisionInfo info)
    {
        var ctx = new SupportContext(poly1, poly2);
        ClosestPoints points = Gjk(ctx, info);
        if (points.D - poly1.Radius - poly2.Radius <= 0.0)
        {
            ContactPoints(SupportEdgeForPoly(poly1, points.N), SupportEdgeForPoly(poly2, -points.N), points, info);
        }
    }
}
