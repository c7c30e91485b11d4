using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// The simulation world as Chipmunk2D 7.0.3 steps it (cpSpace, src/cpSpace.c and src/cpSpaceStep.c), sized
/// to what Push-T uses: no constraints, no sleeping (sleepTimeThreshold stays infinite, so
/// cpSpaceProcessComponents only threads arbiters onto bodies and changes nothing), no callbacks with
/// physical effect, no shape removal. Defaults are cpSpaceInit's: 10 iterations, gravity 0, damping 1,
/// collision slop 0.1f, collision bias (1 - 0.1f)^60, collision persistence 3.
/// <para>
/// One <see cref="Step"/> (cpSpaceStep): integrate positions of the non-static bodies with the velocities
/// the last step solved; refresh the shapes' boxes and let the broadphase report candidate pairs; collide
/// each pair and update or create its cached arbiter; drop arbiters unused for 3 steps; pre-step the
/// arbiters; integrate velocities (v = v damping^dt + ...: with damping 0 every dynamic body starts the
/// solve at rest, the kinematic agent keeps its velocity); warm-start with the cached impulses; run the
/// sequential-impulse solver.
/// </para>
/// </summary>
internal sealed class Space
{
    private readonly List<Body> _dynamicBodies = [];
    private readonly List<Body> _staticBodies = [];
    private List<Arbiter> _arbiters = [];
    private Dictionary<(Shape, Shape), Arbiter> _cachedArbiters = new(ShapePairComparer.Instance);
    private readonly BBTree.QueryFunc _collideShapes;
    private readonly CollisionInfo _collision = new();
    private BBTree _staticShapes;
    private BBTree _dynamicShapes;
    private ulong _shapeIdCounter;

    public Space()
    {
        _staticShapes = new BBTree(null, fattenByVelocity: false);
        _dynamicShapes = new BBTree(_staticShapes, fattenByVelocity: true);
        _collideShapes = CollideShapes;
    }

    public int Iterations { get; set; } = 10;

    public Vec2 Gravity { get; set; } = Vec2.Zero;

    /// <summary>Fraction of velocity kept per second (cpSpaceInit: 1; gym-pusht sets 0).</summary>
    public double Damping { get; set; } = 1.0;

    /// <summary>Penetration allowed before position correction: the float literal 0.1f as a double.</summary>
    public double CollisionSlop { get; set; } = 0.1f;

    /// <summary>Fraction of overlap left after one second: cpfpow(1.0f - 0.1f, 60.0f), the float 0.9f to the 60th.</summary>
    public double CollisionBias { get; set; } = Math.Pow(1.0f - 0.1f, 60.0);

    /// <summary>Steps an arbiter is kept after its shapes stop colliding.</summary>
    public uint CollisionPersistence { get; set; } = 3;

    /// <summary>Number of steps taken (cpSpace stamp).</summary>
    public uint Stamp { get; private set; }

    /// <summary>dt of the last step (0 before the first: the first step applies no cached impulses).</summary>
    public double CurrentTimeStep { get; private set; }

    /// <summary>cpSpaceAddBody: static bodies go to the static list, dynamic and kinematic ones to the integrated list.</summary>
    public Body AddBody(Body body)
    {
        (body.Type == BodyType.Static ? _staticBodies : _dynamicBodies).Add(body);
        return body;
    }

    /// <summary>cpSpaceAddShape: assigns the next hash id, caches the box at the body's current transform, inserts it in the static or dynamic tree.</summary>
    public Shape AddShape(Shape shape)
    {
        bool isStatic = shape.Body.Type == BodyType.Static;
        shape.HashId = _shapeIdCounter++;
        shape.Update(shape.Body.Transform);
        (isStatic ? _staticShapes : _dynamicShapes).Insert(shape, shape.HashId);
        return shape;
    }

    /// <summary>cpSpaceStep(space, dt).</summary>
    public void Step(double dt)
    {
        if (dt == 0.0)
        {
            return;
        }

        Stamp++;
        double prevDt = CurrentTimeStep;
        CurrentTimeStep = dt;

        foreach (var arb in _arbiters)
        {
            arb.State = ArbiterState.Normal;
        }

        _arbiters.Clear();

        foreach (var body in _dynamicBodies)
        {
            body.UpdatePosition(dt);
        }

        _dynamicShapes.CacheShapeBBs();
        _dynamicShapes.ReindexQuery(_collideShapes);

        FilterCachedArbiters();

        double slop = CollisionSlop;
        double biasCoef = 1.0 - Math.Pow(CollisionBias, dt);
        foreach (var arb in _arbiters)
        {
            arb.PreStep(dt, slop, biasCoef);
        }

        double damping = Math.Pow(Damping, dt);
        foreach (var body in _dynamicBodies)
        {
            body.UpdateVelocity(Gravity, damping, dt);
        }

        double dtCoef = prevDt == 0.0 ? 0.0 : dt / prevDt;
        foreach (var arb in _arbiters)
        {
            arb.ApplyCachedImpulse(dtCoef);
        }

        for (int i = 0; i < Iterations; i++)
        {
            foreach (var arb in _arbiters)
            {
                arb.ApplyImpulse();
            }
        }
    }

    /// <summary>
    /// A deep copy: bodies, shapes, both broadphase trees with their cached pairs and GJK ids, the arbiter
    /// cache with accumulated impulses and stamps, the solve list and the step stamps. Stepping the copy
    /// and the original with the same inputs gives bit-identical results.
    /// </summary>
    /// <param name="bodies">Bodies of this space to look up in the copy, in order.</param>
    /// <param name="bodyCopies">Their copies.</param>
    public Space Clone(IReadOnlyList<Body> bodies, out Body[] bodyCopies)
    {
        var bodyMap = new Dictionary<Body, Body>(ReferenceEqualityComparer.Instance);
        Body MapBody(Body b)
        {
            if (!bodyMap.TryGetValue(b, out var copy))
            {
                copy = b.Copy();
                bodyMap.Add(b, copy);
            }

            return copy;
        }

        var shapeMap = new Dictionary<Shape, Shape>(ReferenceEqualityComparer.Instance);
        Shape MapShape(Shape s)
        {
            if (!shapeMap.TryGetValue(s, out var copy))
            {
                copy = s.CopyFor(MapBody(s.Body));
                shapeMap.Add(s, copy);
            }

            return copy;
        }

        var clone = new Space
        {
            Iterations = Iterations,
            Gravity = Gravity,
            Damping = Damping,
            CollisionSlop = CollisionSlop,
            CollisionBias = CollisionBias,
            CollisionPersistence = CollisionPersistence,
            Stamp = Stamp,
            CurrentTimeStep = CurrentTimeStep,
            _shapeIdCounter = _shapeIdCounter,
        };
        clone._dynamicBodies.AddRange(_dynamicBodies.Select(MapBody));
        clone._staticBodies.AddRange(_staticBodies.Select(MapBody));
        (clone._staticShapes, clone._dynamicShapes) = BBTree.CopyPair(_staticShapes, _dynamicShapes, MapShape);

        var arbiterMap = new Dictionary<Arbiter, Arbiter>(ReferenceEqualityComparer.Instance);
        clone._cachedArbiters = new Dictionary<(Shape, Shape), Arbiter>(ShapePairComparer.Instance);
        foreach (var (key, arb) in _cachedArbiters)
        {
            var copy = arb.CopyFor(MapShape);
            arbiterMap.Add(arb, copy);
            clone._cachedArbiters.Add((MapShape(key.Item1), MapShape(key.Item2)), copy);
        }

        clone._arbiters = [.. _arbiters.Select(a => arbiterMap.TryGetValue(a, out var c) ? c : a.CopyFor(MapShape))];
        bodyCopies = [.. bodies.Select(MapBody)];
        return clone;
    }

    /// <summary>
    /// cpSpaceCollideShapes: the broadphase callback. Rejects pairs whose boxes do not overlap or that share a
    /// body, collides the rest, and queues the pair's arbiter for solving unless both bodies have infinite mass
    /// (the kinematic agent against the static walls). Returns the GJK id to cache in the broadphase pair.
    /// </summary>
    private uint CollideShapes(Shape a, Shape b, uint id)
    {
        // QueryReject: Push-T's shape filters are all-pass and it has no constraints.
        if (!a.BB.Intersects(b.BB) || a.Body == b.Body)
        {
            return id;
        }

        CollisionInfo info = Collision.Collide(a, b, id, _collision);
        if (info.Count == 0)
        {
            return info.Id;
        }

        var key = (info.A, info.B);
        if (!_cachedArbiters.TryGetValue(key, out var arb))
        {
            arb = new Arbiter(info.A, info.B);
            _cachedArbiters.Add(key, arb);
        }

        arb.Update(info);

        // begin() and preSolve() of Push-T's handler accept every collision; no shape is a sensor.
        if (!(double.IsPositiveInfinity(a.Body.M) && double.IsPositiveInfinity(b.Body.M)))
        {
            _arbiters.Add(arb);
        }
        else
        {
            arb.Contacts = null;
            arb.Count = 0;
            arb.State = ArbiterState.Normal;
        }

        arb.Stamp = Stamp;
        return info.Id;
    }

    /// <summary>cpSpaceArbiterSetFilter over the cache: marks arbiters unused this step as cached, drops those unused for CollisionPersistence steps.</summary>
    private void FilterCachedArbiters()
    {
        List<(Shape, Shape)>? stale = null;
        foreach (var (key, arb) in _cachedArbiters)
        {
            uint ticks = Stamp - arb.Stamp;
            bool staticA = arb.BodyA.Type == BodyType.Static, staticB = arb.BodyB.Type == BodyType.Static;
            if (staticA && staticB)
            {
                continue;
            }

            if (ticks >= 1 && arb.State != ArbiterState.Cached)
            {
                arb.State = ArbiterState.Cached;
            }

            if (ticks >= CollisionPersistence)
            {
                arb.Contacts = null;
                arb.Count = 0;
                (stale ??= []).Add(key);
            }
        }

        if (stale is not null)
        {
            foreach (var key in stale)
            {
                _cachedArbiters.Remove(key);
            }
        }
    }

    /// <summary>arbiterSetEql: a shape pair matches in either order.</summary>
    private sealed class ShapePairComparer : IEqualityComparer<(Shape, Shape)>
    {
        public static readonly ShapePairComparer Instance = new();

        public bool Equals((Shape, Shape) x, (Shape, Shape) y) =>
            (ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2))
            || (ReferenceEquals(x.Item1, y.Item2) && ReferenceEquals(x.Item2, y.Item1));

        public int GetHashCode((Shape, Shape) pair) =>
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(pair.Item1) ^ System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(pair.Item2);
    }
}
