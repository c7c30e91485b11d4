using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>Chipmunk's shape kinds in the order cpCollide sorts a pair by (cpShapeType).</summary>
internal enum ShapeKind
{
    Circle = 0,
    Segment = 1,
    Poly = 2,
}

/// <summary>
/// A collision shape attached to a body (cpShape, src/cpShape.c). Push-T keeps every default of
/// cpShapeInit: elasticity 0, friction 0 (gym-pusht's <c>body.friction = 1</c> sets a Python attribute
/// of the Body, which has no friction; shapes keep pymunk's default 0), no surface velocity, collision
/// type 0, the all-pass filter, not a sensor; and zero mass (the body's mass and moment are given).
/// </summary>
internal abstract class Shape
{
    protected Shape(Body body) => Body = body;

    public abstract ShapeKind Kind { get; }

    public Body Body { get; set; }

    /// <summary>Space-assigned id (cpSpaceAddShape: shapeIDCounter++), also used in contact hashes.</summary>
    public ulong HashId { get; set; }

    /// <summary>World bounding box cached by the last <see cref="Update"/>.</summary>
    public BB BB { get; private set; }

    /// <summary>Elasticity e (cpShapeInit: 0).</summary>
    public double Elasticity { get; init; }

    /// <summary>Friction u (cpShapeInit: 0).</summary>
    public double Friction { get; init; }

    /// <summary>Surface velocity (cpShapeInit: zero).</summary>
    public Vec2 SurfaceVelocity { get; init; }

    /// <summary>cpShapeUpdate: caches the world geometry for <paramref name="transform"/> and returns the box.</summary>
    public BB Update(Transform transform) => BB = CacheData(transform);

    /// <summary>cpShapeCacheBB: <see cref="Update"/> with the body's transform.</summary>
    public BB CacheBB() => Update(Body.Transform);

    /// <summary>A copy attached to <paramref name="body"/> (cached world geometry included).</summary>
    public abstract Shape CopyFor(Body body);

    protected abstract BB CacheData(Transform transform);

    protected void CopyBaseInto(Shape copy)
    {
        copy.HashId = HashId;
        copy.BB = BB;
    }
}
