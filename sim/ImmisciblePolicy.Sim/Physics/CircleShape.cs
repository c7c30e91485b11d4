using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>A circle (cpCircleShape, src/cpShape.c): centre offset <see cref="Offset"/> in body coordinates, radius <see cref="Radius"/>.</summary>
internal sealed class CircleShape : Shape
{
    /// <summary>cpCircleShapeNew(body, radius, offset).</summary>
    public CircleShape(Body body, double radius, Vec2 offset)
        : base(body)
    {
        Radius = radius;
        Offset = offset;
    }

    public override ShapeKind Kind => ShapeKind.Circle;

    public double Radius { get; }

    public Vec2 Offset { get; }

    /// <summary>World centre cached by the last update (tc).</summary>
    public Vec2 WorldCenter { get; private set; }

    public override Shape CopyFor(Body body)
    {
        var copy = new CircleShape(body, Radius, Offset) { WorldCenter = WorldCenter };
        CopyBaseInto(copy);
        return copy;
    }

    /// <summary>cpCircleShapeCacheData.</summary>
    protected override BB CacheData(Transform transform)
    {
        WorldCenter = transform.Point(Offset);
        return BB.ForCircle(WorldCenter, Radius);
    }
}
