namespace ImmisciblePolicy.Sim.Geometry;

/// <summary>
/// A 2D vector in world (pixel) coordinates. The Push-T world follows pymunk with the pygame draw
/// options, so x grows to the right and y grows downwards on screen; all maths is orientation-free.
/// </summary>
public readonly record struct Vec2(double X, double Y)
{
    public static Vec2 Zero => new(0, 0);

    public static Vec2 operator +(Vec2 a, Vec2 b) => new(a.X + b.X, a.Y + b.Y);

    public static Vec2 operator -(Vec2 a, Vec2 b) => new(a.X - b.X, a.Y - b.Y);

    public static Vec2 operator -(Vec2 a) => new(-a.X, -a.Y);

    public static Vec2 operator *(Vec2 a, double s) => new(a.X * s, a.Y * s);

    public static Vec2 operator *(double s, Vec2 a) => new(a.X * s, a.Y * s);

    public static Vec2 operator /(Vec2 a, double s) => new(a.X / s, a.Y / s);

    public double Length => Math.Sqrt((X * X) + (Y * Y));

    public double LengthSquared => (X * X) + (Y * Y);

    public static double Dot(Vec2 a, Vec2 b) => (a.X * b.X) + (a.Y * b.Y);

    /// <summary>z-component of the 3D cross product a x b.</summary>
    public static double Cross(Vec2 a, Vec2 b) => (a.X * b.Y) - (a.Y * b.X);

    /// <summary>omega x r for an angular velocity omega about the z axis.</summary>
    public static Vec2 CrossScalar(double omega, Vec2 r) => new(-omega * r.Y, omega * r.X);

    /// <summary>Rotates by <paramref name="angle"/> radians with the matrix [[c, -s], [s, c]] (pymunk's Vec2d.rotated).</summary>
    public Vec2 Rotated(double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        return new Vec2((c * X) - (s * Y), (s * X) + (c * Y));
    }

    public bool IsFinite => double.IsFinite(X) && double.IsFinite(Y);

    public override string ToString() => FormattableString.Invariant($"({X:G6}, {Y:G6})");
}
