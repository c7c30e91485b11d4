using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// Chipmunk2D 7.0.3's scalar and vector helpers (include/chipmunk/chipmunk_types.h, cpVect.h) with the
/// same operation order, so results match the C library bit for bit (cpFloat is double; the Debian build
/// has no fast-math and no FMA contraction, and .NET contracts nothing either).
/// <see cref="Vec2"/>'s +, -, unary -, * scalar, Dot and Cross already are cpvadd, cpvsub, cpvneg,
/// cpvmult, cpvdot and cpvcross.
/// </summary>
internal static class CpMath
{
    /// <summary>CPFLOAT_MIN = DBL_MIN, the smallest normal double (not <see cref="double.MinValue"/>).</summary>
    public const double FloatMin = 2.2250738585072014E-308;

    /// <summary>cpfmax: (a > b) ? a : b (not Math.Max: NaN and signed-zero behaviour differ).</summary>
    public static double Max(double a, double b) => a > b ? a : b;

    /// <summary>cpfmin: (a &lt; b) ? a : b.</summary>
    public static double Min(double a, double b) => a < b ? a : b;

    /// <summary>cpfabs: (f &lt; 0) ? -f : f.</summary>
    public static double Abs(double f) => f < 0 ? -f : f;

    /// <summary>cpfclamp: cpfmin(cpfmax(f, min), max).</summary>
    public static double Clamp(double f, double min, double max) => Min(Max(f, min), max);

    /// <summary>cpfclamp01: cpfmax(0, cpfmin(f, 1)).</summary>
    public static double Clamp01(double f) => Max(0.0, Min(f, 1.0));

    /// <summary>cpvperp: (-y, x), a counter-clockwise quarter turn.</summary>
    public static Vec2 Perp(Vec2 v) => new(-v.Y, v.X);

    /// <summary>cpvrperp: (y, -x), a clockwise quarter turn.</summary>
    public static Vec2 RPerp(Vec2 v) => new(v.Y, -v.X);

    /// <summary>cpvrotate: complex multiplication (v1.x v2.x - v1.y v2.y, v1.x v2.y + v1.y v2.x).</summary>
    public static Vec2 Rotate(Vec2 v1, Vec2 v2) => new((v1.X * v2.X) - (v1.Y * v2.Y), (v1.X * v2.Y) + (v1.Y * v2.X));

    /// <summary>cpvlengthsq: cpvdot(v, v).</summary>
    public static double LengthSq(Vec2 v) => Vec2.Dot(v, v);

    /// <summary>cpvlength: sqrt(cpvdot(v, v)).</summary>
    public static double Length(Vec2 v) => Math.Sqrt(Vec2.Dot(v, v));

    /// <summary>cpvdist: cpvlength(v1 - v2).</summary>
    public static double Dist(Vec2 v1, Vec2 v2) => Length(v1 - v2);

    /// <summary>cpvlerp: v1 (1 - t) + v2 t.</summary>
    public static Vec2 Lerp(Vec2 v1, Vec2 v2, double t) => (v1 * (1.0 - t)) + (v2 * t);

    /// <summary>cpvnormalize: v * (1 / (|v| + DBL_MIN)), never a division by zero.</summary>
    public static Vec2 Normalize(Vec2 v) => v * (1.0 / (Length(v) + FloatMin));

    /// <summary>cpvforangle: (cos a, sin a); .NET's Math.Cos/Sin call the C library's cos/sin, as Chipmunk does.</summary>
    public static Vec2 ForAngle(double a) => new(Math.Cos(a), Math.Sin(a));

    /// <summary>cpveql: exact component equality.</summary>
    public static bool Equal(Vec2 v1, Vec2 v2) => v1.X == v2.X && v1.Y == v2.Y;

    /// <summary>CP_HASH_PAIR(A, B) = A * 3344921057 ^ B * 3344921057 on cpHashValue (uintptr_t, 64-bit here).</summary>
    public static ulong HashPair(ulong a, ulong b)
    {
        const ulong coef = 3344921057UL;
        return unchecked((a * coef) ^ (b * coef));
    }

    /// <summary>cpCheckPointGreater (cpRobust.c): true when c is left of the segment (a, b).</summary>
    public static bool CheckPointGreater(Vec2 a, Vec2 b, Vec2 c) =>
        ((b.Y - a.Y) * (a.X + b.X - (2 * c.X))) > ((b.X - a.X) * (a.Y + b.Y - (2 * c.Y)));

    /// <summary>cpCheckAxis (cpRobust.c): true when p is not beyond v0 or v1 along n.</summary>
    public static bool CheckAxis(Vec2 v0, Vec2 v1, Vec2 p, Vec2 n) => Vec2.Dot(p, n) <= Max(Vec2.Dot(v0, n), Vec2.Dot(v1, n));
}
