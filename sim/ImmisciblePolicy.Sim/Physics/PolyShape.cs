using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// A convex polygon (cpPolyShape, src/cpPolyShape.c). pymunk's <c>Poly(body, vertices)</c> calls
/// cpPolyShapeNew with the identity transform and radius 0, which stores the QuickHull of the vertices
/// (<see cref="Moments.ConvexHull"/>): the vertex order and the starting vertex are the hull's, and
/// plane i is the edge ending at vertex i with its outward normal.
/// </summary>
internal sealed class PolyShape : Shape
{
    private readonly Vec2[] _verts;
    private readonly Vec2[] _normals;
    private readonly Vec2[] _worldVerts;
    private readonly Vec2[] _worldNormals;

    /// <summary>cpPolyShapeNew(body, count, verts, identity, radius): hull, then cpPolyShapeInitRaw.</summary>
    public PolyShape(Body body, IReadOnlyList<Vec2> vertices, double radius = 0)
        : this(body, Moments.ConvexHull(Identity(vertices)), radius, raw: true)
    {
    }

    private PolyShape(Body body, Vec2[] hull, double radius, bool raw)
        : base(body)
    {
        _ = raw;
        int count = hull.Length;
        _verts = hull;
        _normals = new Vec2[count];
        _worldVerts = new Vec2[count];
        _worldNormals = new Vec2[count];
        // SetVerts: plane i is the edge (verts[i - 1], verts[i]) with n = normalize(rperp(b - a)).
        for (int i = 0; i < count; i++)
        {
            Vec2 a = hull[(i - 1 + count) % count];
            Vec2 b = hull[i];
            _normals[i] = CpMath.Normalize(CpMath.RPerp(b - a));
        }

        Radius = radius;
        CenterOfGravity = Moments.CentroidForPoly(hull);
    }

    public override ShapeKind Kind => ShapeKind.Poly;

    public int Count => _verts.Length;

    public double Radius { get; }

    /// <summary>cpShapeGetCenterOfGravity: the polygon's centroid (cpCentroidForPoly of the hull) in body coordinates.</summary>
    public Vec2 CenterOfGravity { get; }

    /// <summary>Hull vertices in body coordinates (cpPolyShapeGetVert order, what pymunk's get_vertices returns).</summary>
    public IReadOnlyList<Vec2> Vertices => _verts;

    /// <summary>World vertex i cached by the last update (planes[i].v0).</summary>
    public Vec2 WorldVertex(int i) => _worldVerts[i];

    /// <summary>World normal of plane i cached by the last update (planes[i].n).</summary>
    public Vec2 WorldNormal(int i) => _worldNormals[i];

    public override Shape CopyFor(Body body)
    {
        var copy = new PolyShape(body, _verts, Radius, raw: true);
        Array.Copy(_worldVerts, copy._worldVerts, Count);
        Array.Copy(_worldNormals, copy._worldNormals, Count);
        CopyBaseInto(copy);
        return copy;
    }

    /// <summary>cpPolyShapeCacheData.</summary>
    protected override BB CacheData(Transform transform)
    {
        double l = double.PositiveInfinity, r = double.NegativeInfinity;
        double b = double.PositiveInfinity, t = double.NegativeInfinity;
        for (int i = 0; i < Count; i++)
        {
            Vec2 v = transform.Point(_verts[i]);
            Vec2 n = transform.Vect(_normals[i]);
            _worldVerts[i] = v;
            _worldNormals[i] = n;
            l = CpMath.Min(l, v.X);
            r = CpMath.Max(r, v.X);
            b = CpMath.Min(b, v.Y);
            t = CpMath.Max(t, v.Y);
        }

        return new BB(l - Radius, b - Radius, r + Radius, t + Radius);
    }

    /// <summary>cpPolyShapeInit transforms the input by the identity before the hull (x' = 1 x + 0 y + 0).</summary>
    private static Vec2[] Identity(IReadOnlyList<Vec2> vertices)
    {
        ArgumentNullException.ThrowIfNull(vertices);
        if (vertices.Count < 3)
        {
            throw new ArgumentException($"A polygon needs at least 3 vertices; received {vertices.Count}.", nameof(vertices));
        }

        var id = Transform.Identity;
        return vertices.Select(id.Point).ToArray();
    }
}
