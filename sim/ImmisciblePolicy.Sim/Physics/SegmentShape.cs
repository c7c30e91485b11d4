using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// A rounded segment (cpSegmentShape, src/cpShape.c) from <see cref="A"/> to <see cref="B"/> with radius
/// <see cref="Radius"/>; Push-T's walls. No neighbours are set, so the end-cap tangents stay zero.
/// </summary>
internal sealed class SegmentShape : Shape
{
    /// <summary>cpSegmentShapeNew(body, a, b, radius): normal n = rperp(normalize(b - a)).</summary>
    public SegmentShape(Body body, Vec2 a, Vec2 b, double radius)
        : base(body)
    {
        A = a;
        B = b;
        Normal = CpMath.RPerp(CpMath.Normalize(b - a));
        Radius = radius;
    }

    public override ShapeKind Kind => ShapeKind.Segment;

    public Vec2 A { get; }

    public Vec2 B { get; }

    public Vec2 Normal { get; }

    public double Radius { get; }

    /// <summary>a_tangent (zero without cpSegmentShapeSetNeighbors).</summary>
    public Vec2 ATangent => Vec2.Zero;

    /// <summary>b_tangent (zero without cpSegmentShapeSetNeighbors).</summary>
    public Vec2 BTangent => Vec2.Zero;

    /// <summary>World end points and normal cached by the last update (ta, tb, tn).</summary>
    public Vec2 WorldA { get; private set; }

    public Vec2 WorldB { get; private set; }

    public Vec2 WorldNormal { get; private set; }

    public override Shape CopyFor(Body body)
    {
        var copy = new SegmentShape(body, A, B, Radius) { WorldA = WorldA, WorldB = WorldB, WorldNormal = WorldNormal };
        CopyBaseInto(copy);
        return copy;
    }

    /// <summary>cpSegmentShapeCacheData.</summary>
    protected override BB CacheData(Transform transform)
    {
        WorldA = transform.Point(A);
        WorldB = transform.Point(B);
        WorldNormal = transform.Vect(Normal);
        double l, r, b, t;
        if (WorldA.X < WorldB.X)
        {
            l = WorldA.X;
            r = WorldB.X;
        }
        else
        {
            l = WorldB.X;
            r = WorldA.X;
        }

        if (WorldA.Y < WorldB.Y)
        {
            b = WorldA.Y;
            t = WorldB.Y;
        }
        else
        {
            b = WorldB.Y;
            t = WorldA.Y;
        }

        return new BB(l - Radius, b - Radius, r + Radius, t + Radius);
    }
}
