using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>Chipmunk's axis-aligned bounding box (cpBB, include/chipmunk/cpBB.h): left, bottom, right, top.</summary>
internal readonly record struct BB(double L, double B, double R, double T)
{
    /// <summary>cpBBNewForCircle: the square of half side r around p.</summary>
    public static BB ForCircle(Vec2 p, double r) => new(p.X - r, p.Y - r, p.X + r, p.Y + r);

    /// <summary>cpBBIntersects (touching counts).</summary>
    public bool Intersects(BB o) => L <= o.R && o.L <= R && B <= o.T && o.B <= T;

    /// <summary>cpBBContainsBB: <paramref name="o"/> lies inside this box.</summary>
    public bool Contains(BB o) => L <= o.L && R >= o.R && B <= o.B && T >= o.T;

    /// <summary>cpBBMerge.</summary>
    public BB Merge(BB o) => new(CpMath.Min(L, o.L), CpMath.Min(B, o.B), CpMath.Max(R, o.R), CpMath.Max(T, o.T));

    /// <summary>cpBBArea.</summary>
    public double Area => (R - L) * (T - B);

    /// <summary>cpBBMergedArea: the area of Merge(o) without building it.</summary>
    public double MergedArea(BB o) => (CpMath.Max(R, o.R) - CpMath.Min(L, o.L)) * (CpMath.Max(T, o.T) - CpMath.Min(B, o.B));

    /// <summary>cpBBCenter: cpvlerp((l, b), (r, t), 0.5).</summary>
    public Vec2 Center => CpMath.Lerp(new Vec2(L, B), new Vec2(R, T), 0.5);
}
