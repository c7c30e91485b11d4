using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.Physics.Native;
using static ImmisciblePolicy.Sim.Physics.Native.ChipmunkNative;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// The oracle: gym-pusht's scene built on the native libchipmunk7 (Chipmunk2D 7.0.3) with the calls pymunk 6
/// makes for each upstream line, so the managed <see cref="PushTWorld"/> can be compared with the engine it
/// ports. pymunk mapping: <c>Space()</c> = cpSpaceNew; <c>space.static_body</c> = cpBodyNewStatic +
/// cpSpaceAddBody; <c>Body(body_type=KINEMATIC)</c> = cpBodyNewKinematic; <c>Body(m, i)</c> = cpBodyNew;
/// <c>Segment(body, a, b, r)</c> = cpSegmentShapeNew; <c>Circle(body, r)</c> = cpCircleShapeNew(body, r, (0, 0));
/// <c>Poly(body, verts)</c> = cpPolyShapeNew(body, n, verts, identity, 0); <c>moment_for_poly(m, verts)</c> =
/// cpMomentForPoly(m, n, verts, (0, 0), 0); <c>shape.filter</c> = cpShapeSetFilter; <c>space.add(objs)</c> adds
/// the bodies first, then the shapes in order; the <c>position</c>, <c>angle</c>, <c>velocity</c> and
/// <c>center_of_gravity</c> setters are cpBodySetPosition, cpBodySetAngle, cpBodySetVelocity and
/// cpBodySetCenterOfGravity. Not thread-safe; dispose to free the native objects.
/// </summary>
internal sealed class PushTNativeReference : IDisposable
{
    private readonly List<nint> _shapes = [];
    private readonly List<nint> _bodies = [];
    private nint _space;
    private nint _agent;
    private nint _block;

    private PushTNativeReference()
    {
        ChipmunkNative.EnsureAvailable();
    }

    /// <summary>The same scene and reset as <see cref="PushTWorld.Create"/>, natively.</summary>
    public static PushTNativeReference Create(Vec2 agent, Vec2 block, double angle, bool legacyOrder, double dt)
    {
        var world = new PushTNativeReference();
        world.Setup();
        cpBodySetPosition(world._agent, agent);
        if (legacyOrder)
        {
            cpBodySetPosition(world._block, block);
            cpBodySetAngle(world._block, angle);
        }
        else
        {
            cpBodySetAngle(world._block, angle);
            cpBodySetPosition(world._block, block);
        }

        cpSpaceStep(world._space, dt);
        return world;
    }

    /// <summary>cpSpace* of the scene (tests read settings through it).</summary>
    public nint Space => _space;

    /// <summary>The bar and stem cpShape*s (tests compare their hull vertices and centroids).</summary>
    public (nint Bar, nint Stem) TeeShapes => (_shapes[^2], _shapes[^1]);

    /// <summary>The cpBody* of the T.</summary>
    public nint Block => _block;

    public PushTState State
    {
        get
        {
            var blockPosition = cpBodyGetPosition(_block).ToVec2();
            return new PushTState(
                cpBodyGetPosition(_agent).ToVec2(),
                cpBodyGetVelocity(_agent).ToVec2(),
                new Pose2(blockPosition.X, blockPosition.Y, cpBodyGetAngle(_block)),
                cpBodyGetVelocity(_block).ToVec2(),
                cpBodyGetAngularVelocity(_block));
        }
    }

    /// <summary>One substep of gym-pusht's step: PD acceleration, agent.velocity += acceleration dt, space.step(dt).</summary>
    public void Substep(Vec2 target, double kp, double kv, double dt)
    {
        Vec2 position = cpBodyGetPosition(_agent).ToVec2();
        Vec2 velocity = cpBodyGetVelocity(_agent).ToVec2();
        Vec2 acceleration = (kp * (target - position)) + (kv * (Vec2.Zero - velocity));
        cpBodySetVelocity(_agent, velocity + (acceleration * dt));
        cpSpaceStep(_space, dt);
    }

    public void Dispose()
    {
        if (_space == 0)
        {
            return;
        }

        // cpSpaceFree walks the bodies, so it goes first; then the shapes and bodies pymunk would free.
        cpSpaceFree(_space);
        _space = 0;
        foreach (var shape in _shapes)
        {
            cpShapeFree(shape);
        }

        foreach (var body in _bodies)
        {
            cpBodyFree(body);
        }

        _shapes.Clear();
        _bodies.Clear();
    }

    private nint AddShape(nint shape)
    {
        _shapes.Add(shape);
        cpSpaceAddShape(_space, shape);
        return shape;
    }

    private nint AddBody(nint body)
    {
        _bodies.Add(body);
        cpSpaceAddBody(_space, body);
        return body;
    }

    /// <summary>PushTEnv._setup with add_segment, add_circle and add_tee, line by line.</summary>
    private void Setup()
    {
        _space = cpSpaceNew();
        cpSpaceSetGravity(_space, new CpVect(0, 0));
        cpSpaceSetDamping(_space, 0.0);

        nint staticBody = AddBody(cpBodyNewStatic());
        var walls = PushTWorld.Walls.Select(w => cpSegmentShapeNew(staticBody, w.A, w.B, PushTWorld.WallRadius)).ToList();
        _shapes.AddRange(walls);
        foreach (var wall in walls)
        {
            cpSpaceAddShape(_space, wall);
        }

        // add_circle: the body is created and positioned first, then space.add(body, shape).
        nint agent = cpBodyNewKinematic();
        cpBodySetPosition(agent, new Vec2(256, 400));
        nint circle = cpCircleShapeNew(agent, PushTWorld.AgentRadius, new CpVect(0, 0));
        _agent = AddBody(agent);
        AddShape(circle);

        // add_tee(space, (256, 300), 0).
        CpVect[] vertices1 = [.. PushTWorld.BarVertices.Select(v => (CpVect)v)];
        CpVect[] vertices2 = [.. PushTWorld.StemVertices.Select(v => (CpVect)v)];
        double inertia1 = cpMomentForPoly(1, vertices1.Length, vertices1, new CpVect(0, 0), 0);
        double inertia2 = cpMomentForPoly(1, vertices1.Length, vertices1, new CpVect(0, 0), 0);
        nint body = cpBodyNew(1, inertia1 + inertia2);
        nint shape1 = cpPolyShapeNew(body, vertices1.Length, vertices1, CpTransform.Identity, 0);
        nint shape2 = cpPolyShapeNew(body, vertices2.Length, vertices2, CpTransform.Identity, 0);
        // ShapeFilter(mask=ALL_MASKS()): group 0, categories and mask all bits.
        var filter = new CpShapeFilter { Group = 0, Categories = 0xFFFFFFFF, Mask = 0xFFFFFFFF };
        cpShapeSetFilter(shape1, filter);
        cpShapeSetFilter(shape2, filter);
        Vec2 cogSum = cpShapeGetCenterOfGravity(shape1).ToVec2() + cpShapeGetCenterOfGravity(shape2).ToVec2();
        cpBodySetCenterOfGravity(body, new CpVect(cogSum.X / 2, cogSum.Y / 2));
        cpBodySetAngle(body, 0);
        cpBodySetPosition(body, new Vec2(256, 300));
        _block = AddBody(body);
        AddShape(shape1);
        AddShape(shape2);

        // add_collision_handler(0, 0) with a counting post_solve: no physical effect, kept for fidelity.
        cpSpaceAddCollisionHandler(_space, 0, 0);
    }
}
