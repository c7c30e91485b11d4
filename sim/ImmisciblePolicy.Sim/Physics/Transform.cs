using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// Chipmunk's column-major affine transform (cpTransform, include/chipmunk/cpTransform.h):
/// x' = a x + c y + tx, y' = b x + d y + ty. A body's transform maps body coordinates to world.
/// </summary>
internal readonly record struct Transform(double A, double B, double C, double D, double Tx, double Ty)
{
    public static Transform Identity => new(1, 0, 0, 1, 0, 0);

    /// <summary>cpTransformNewTranspose: arguments in row order (a, c, tx; b, d, ty).</summary>
    public static Transform NewTranspose(double a, double c, double tx, double b, double d, double ty) => new(a, b, c, d, tx, ty);

    /// <summary>cpTransformPoint.</summary>
    public Vec2 Point(Vec2 p) => new((A * p.X) + (C * p.Y) + Tx, (B * p.X) + (D * p.Y) + Ty);

    /// <summary>cpTransformVect: the linear part only (normals, offsets).</summary>
    public Vec2 Vect(Vec2 v) => new((A * v.X) + (C * v.Y), (B * v.X) + (D * v.Y));
}
