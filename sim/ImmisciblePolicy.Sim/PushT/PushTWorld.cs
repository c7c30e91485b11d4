using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.Physics;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// gym-pusht's pymunk scene (gym_pusht/envs/pusht.py, PushTEnv._setup, add_segment, add_circle, add_tee,
/// _set_state and step) on the managed Chipmunk port, built call for call in pymunk's order, because the
/// order fixes shape ids, tree layout and hence the solver's arbiter order:
/// <list type="number">
/// <item>Space with gravity 0 and damping 0; pymunk's <c>space.static_body</c> (a separate static body);
/// walls (5, 506)-(5, 5), (5, 5)-(506, 5), (506, 5)-(506, 506), (5, 506)-(506, 506), radius 2 (shape ids 0-3).</item>
/// <item>Agent: a kinematic body at (256, 400) with a circle of radius 15 (id 4).</item>
/// <item>T: a body of mass 1 and moment moment_for_poly(1, bar) * 2 (add_tee passes the bar's vertices for
/// both terms), polygons bar (id 5) and stem (id 6) through cpPolyShapeNew (QuickHull order), centre of
/// gravity = mean of the two centroids set BEFORE angle 0 and position (256, 300).</item>
/// <item>_set_state: agent position, then block position and angle (legacy order: the angle turns the T
/// about its centre of gravity), then one <c>space.step(dt)</c>.</item>
/// </list>
/// The collision handler gym-pusht installs only counts contacts, so it is left out.
/// </summary>
internal sealed class PushTWorld
{
    /// <summary>Agent disc radius (add_circle(..., 15)).</summary>
    public const double AgentRadius = 15;

    /// <summary>Wall segment radius (add_segment(..., 2)).</summary>
    public const double WallRadius = 2;

    private readonly Space _space;
    private readonly Body _agent;
    private readonly Body _block;

    private PushTWorld(Space space, Body agent, Body block)
    {
        _space = space;
        _agent = agent;
        _block = block;
    }

    /// <summary>Wall segments (a, b) in the order _setup adds them.</summary>
    public static IReadOnlyList<(Vec2 A, Vec2 B)> Walls { get; } =
    [
        (new(5, 506), new(5, 5)),
        (new(5, 5), new(506, 5)),
        (new(506, 5), new(506, 506)),
        (new(5, 506), new(506, 506)),
    ];

    /// <summary>add_tee's vertices1 (the bar) with scale 30, length 4, as listed upstream.</summary>
    public static IReadOnlyList<Vec2> BarVertices { get; } = [new(-60, 30), new(60, 30), new(60, 0), new(-60, 0)];

    /// <summary>add_tee's vertices2 (the stem), as listed upstream.</summary>
    public static IReadOnlyList<Vec2> StemVertices { get; } = [new(-15, 30), new(-15, 120), new(15, 120), new(15, 30)];

    /// <summary>The current state as the observation reads it: body.position (the body origin), angle and velocities.</summary>
    public PushTState State => new(_agent.Position, _agent.V, new Pose2(_block.Position.X, _block.Position.Y, _block.A), _block.V, _block.W);

    /// <summary>
    /// _setup followed by _set_state([agent, block, angle]) and one step of <paramref name="dt"/>. With
    /// <paramref name="legacyOrder"/> the position is set before the angle (gym-pusht; diffusion_policy
    /// legacy=True), so <paramref name="block"/> + (0, 45) stays the centre of gravity; otherwise the angle
    /// is set first and the body origin lands on <paramref name="block"/> (diffusion_policy legacy=False).
    /// </summary>
    public static PushTWorld Create(Vec2 agent, Vec2 block, double angle, bool legacyOrder, double dt)
    {
        var world = Setup();
        world._agent.SetPosition(agent);
        if (legacyOrder)
        {
            world._block.SetPosition(block);
            world._block.SetAngle(angle);
        }
        else
        {
            world._block.SetAngle(angle);
            world._block.SetPosition(block);
        }

        world._space.Step(dt);
        return world;
    }

    /// <summary>
    /// A new scene with the bodies placed at <paramref name="state"/> (angle, then position, so the origin
    /// lands on the pose) and its velocities, without a step: no contact history, so the next steps can
    /// differ slightly from the run the state came from (use <see cref="Clone"/> for an exact continuation).
    /// </summary>
    public static PushTWorld FromState(PushTState state)
    {
        var world = Setup();
        world._agent.SetPosition(state.Agent);
        world._agent.V = state.AgentVelocity;
        world._block.SetAngle(state.Block.Angle);
        world._block.SetPosition(state.Block.Position);
        world._block.V = state.BlockVelocity;
        world._block.W = state.BlockAngularVelocity;
        return world;
    }

    /// <summary>
    /// One substep of gym-pusht's step: acceleration = k_p (target - position) + k_v (0 - velocity),
    /// velocity += acceleration dt (cpBodySetVelocity on the kinematic agent), then space.step(dt).
    /// </summary>
    public void Substep(Vec2 target, double kp, double kv, double dt)
    {
        Vec2 acceleration = (kp * (target - _agent.Position)) + (kv * (Vec2.Zero - _agent.V));
        _agent.V += acceleration * dt;
        _space.Step(dt);
    }

    /// <summary>An independent copy whose continuation is bit-identical (bodies, broadphase and contact cache).</summary>
    public PushTWorld Clone()
    {
        var space = _space.Clone([_agent, _block], out var bodies);
        return new PushTWorld(space, bodies[0], bodies[1]);
    }

    private static PushTWorld Setup()
    {
        var space = new Space { Gravity = Vec2.Zero, Damping = 0 };

        // add_segment uses space.static_body: pymunk creates a STATIC body and cpSpaceAddBody's it on first use.
        var staticBody = space.AddBody(Body.NewStatic());
        foreach (var (a, b) in Walls)
        {
            space.AddShape(new SegmentShape(staticBody, a, b, WallRadius));
        }

        // add_circle: Body(body_type=KINEMATIC); body.position = (256, 400); Circle(body, 15); space.add(body, shape).
        var agent = Body.NewKinematic();
        agent.SetPosition(new Vec2(256, 400));
        var circle = new CircleShape(agent, AgentRadius, Vec2.Zero);
        space.AddBody(agent);
        space.AddShape(circle);

        // add_tee(space, (256, 300), 0): inertia2 = moment_for_poly(mass, vertices=vertices1), as upstream.
        const double mass = 1;
        double inertia1 = Moments.MomentForPoly(mass, BarVertices, Vec2.Zero);
        double inertia2 = Moments.MomentForPoly(mass, BarVertices, Vec2.Zero);
        var block = Body.NewDynamic(mass, inertia1 + inertia2);
        var bar = new PolyShape(block, BarVertices);
        var stem = new PolyShape(block, StemVertices);
        // (shape1.center_of_gravity + shape2.center_of_gravity) / 2 with pymunk's Vec2d arithmetic.
        Vec2 cogSum = bar.CenterOfGravity + stem.CenterOfGravity;
        block.SetCenterOfGravity(new Vec2(cogSum.X / 2, cogSum.Y / 2));
        block.SetAngle(0);
        block.SetPosition(new Vec2(256, 300));
        space.AddBody(block);
        space.AddShape(bar);
        space.AddShape(stem);
        return new PushTWorld(space, agent, block);
    }
}
