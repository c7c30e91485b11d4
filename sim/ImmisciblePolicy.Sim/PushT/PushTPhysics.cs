using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// One physics substep of Push-T: a kinematic disc pushing a frictionless, quasi-static T inside
/// four walls.
/// <para>
/// What the reference (pymunk/Chipmunk 7 in gym-pusht PushTEnv) does and we reproduce:
/// <c>space.damping = 0</c> makes Chipmunk scale every dynamic body's velocity by
/// damping^dt = 0 before the contact solver of each step (cpSpaceStep / cpBodyUpdateVelocity), so
/// the block has zero velocity at the start of every 10 ms substep and moves only by the contact
/// impulses of that substep (quasi-static pushing); the agent is KINEMATIC (infinite mass, ignores
/// contacts, passes through the static walls); <c>body.friction = 1</c> in add_circle/add_tee sets
/// an unused Python attribute, shapes keep pymunk's default friction 0, so all contacts are
/// frictionless; elasticity is 0.
/// </para>
/// <para>
/// Our solver (own design): speculative contacts (gap below a margin that covers this substep's
/// motion) so a fast agent cannot tunnel; sequential normal impulses on the block (velocity starts
/// at zero); semi-implicit integration of the block about its centre of gravity; then position
/// projection: a few Gauss-Seidel passes against residual agent penetration and an exact
/// translation that keeps every vertex inside the walls. When the agent pins the block against a
/// wall the walls win and the agent overlaps the block, as in pymunk where a kinematic body cannot
/// be stopped.
/// </para>
/// </summary>
internal static class PushTPhysics
{
    /// <summary>Agent disc radius (gym-pusht add_circle(..., 15)).</summary>
    public const double AgentRadius = 15;

    /// <summary>Inner faces of the wall segments: segments at 5 and 506 with radius 2 (gym-pusht _setup).</summary>
    public const double WallMin = 5 + 2;

    /// <summary>See <see cref="WallMin"/>.</summary>
    public const double WallMax = 506 - 2;

    /// <summary>Sequential-impulse iterations; Chipmunk's default is 10, more converge multi-contact pushes better.</summary>
    private const int Iterations = 16;

    /// <summary>Fraction of a penetration removed by the velocity solve per substep (Baumgarte factor).</summary>
    private const double Baumgarte = 0.8;

    /// <summary>Gauss-Seidel passes of the position projection.</summary>
    private const int PositionIterations = 4;

    /// <summary>Penetration (pixels) below which no position correction is applied.</summary>
    private const double Slop = 0.01;

    private const int MaxContacts = 48;

    private struct Contact
    {
        public Vec2 Normal;       // unit; agent contacts: block -> agent; wall contacts: wall -> block
        public Vec2 Arm;          // contact point minus block centre of gravity
        public double Required;   // minimum separation rate (pixels/s)
        public double InvK;       // 1 / effective inverse mass along the normal
        public double Impulse;    // accumulated, clamped >= 0
        public bool WithAgent;
    }

    /// <summary>
    /// Advances the state by <paramref name="dt"/> seconds with the agent moving at its current velocity.
    /// </summary>
    public static PushTState Substep(PushTState s, double dt)
    {
        Span<Vec2> verts = stackalloc Vec2[8];
        Vec2 cog = s.BlockCenterOfGravity;
        WorldVertices(s.Block, verts);
        Vec2 agentMove = s.AgentVelocity * dt;
        double margin = 1.0 + agentMove.Length;

        Span<Contact> contacts = stackalloc Contact[MaxContacts];
        int n = 0;

        // Agent against each convex part of the T.
        for (int part = 0; part < 2; part++)
        {
            var (gap, normal, point) = DiscToPolygon(s.Agent, AgentRadius, verts.Slice(part * 4, 4));
            if (gap < margin)
            {
                contacts[n++] = MakeContact(normal, point - cog, gap, dt, withAgent: true);
            }
        }

        // Block vertices against the four walls. A push can move a vertex ~3.5x faster than the
        // pushed point (lever arms up to ~85 px about a cog with I = 3000), hence the wider margin.
        double wallMargin = 1.0 + (4.0 * agentMove.Length);
        for (int i = 0; i < 8; i++)
        {
            Vec2 v = verts[i];
            AddWall(ref n, contacts, v.X - WallMin, new Vec2(1, 0), v - cog, wallMargin, dt);
            AddWall(ref n, contacts, WallMax - v.X, new Vec2(-1, 0), v - cog, wallMargin, dt);
            AddWall(ref n, contacts, v.Y - WallMin, new Vec2(0, 1), v - cog, wallMargin, dt);
            AddWall(ref n, contacts, WallMax - v.Y, new Vec2(0, -1), v - cog, wallMargin, dt);
        }

        // space.damping = 0: the block starts every substep at rest.
        Vec2 v0 = Vec2.Zero;
        double w0 = 0;
        if (n > 0)
        {
            for (int it = 0; it < Iterations; it++)
            {
                for (int c = 0; c < n; c++)
                {
                    ref Contact k = ref contacts[c];
                    Vec2 pointVel = v0 + Vec2.CrossScalar(w0, k.Arm);
                    double rate = k.WithAgent
                        ? Vec2.Dot(s.AgentVelocity - pointVel, k.Normal)
                        : Vec2.Dot(pointVel, k.Normal);
                    double lambda = (k.Required - rate) * k.InvK;
                    double updated = Math.Max(k.Impulse + lambda, 0);
                    lambda = updated - k.Impulse;
                    k.Impulse = updated;
                    // Agent contacts push the block along -normal, wall contacts along +normal.
                    Vec2 j = k.WithAgent ? -k.Normal * lambda : k.Normal * lambda;
                    v0 += j / TShape.Mass;
                    w0 += Vec2.Cross(k.Arm, j) / TShape.MomentOfInertia;
                }
            }
        }

        Vec2 agent = s.Agent + agentMove;
        Vec2 newCog = cog + (v0 * dt);
        double angle = s.Block.Angle + (w0 * dt);
        Pose2 block = PoseFromCog(newCog, angle);

        block = ProjectOutOfAgent(block, agent);
        block = ProjectInsideWalls(block);
        return new PushTState(agent, s.AgentVelocity, block);
    }

    /// <summary>Deepest overlap of the agent disc with the T (0 when apart).</summary>
    public static double AgentPenetration(PushTState s)
    {
        Span<Vec2> verts = stackalloc Vec2[8];
        WorldVertices(s.Block, verts);
        double depth = 0;
        for (int part = 0; part < 2; part++)
        {
            depth = Math.Max(depth, -DiscToPolygon(s.Agent, AgentRadius, verts.Slice(part * 4, 4)).Gap);
        }

        return depth;
    }

    /// <summary>Deepest excursion of any T vertex beyond the walls' inner faces (0 when inside).</summary>
    public static double WallPenetration(Pose2 block)
    {
        Span<Vec2> verts = stackalloc Vec2[8];
        WorldVertices(block, verts);
        double depth = 0;
        foreach (var v in verts)
        {
            depth = Math.Max(depth, Math.Max(Math.Max(WallMin - v.X, v.X - WallMax), Math.Max(WallMin - v.Y, v.Y - WallMax)));
        }

        return depth;
    }

    /// <summary>Block pose whose centre of gravity sits at <paramref name="cog"/> with the given angle.</summary>
    public static Pose2 PoseFromCog(Vec2 cog, double angle)
    {
        Vec2 origin = cog - TShape.CenterOfGravity.Rotated(angle);
        return new Pose2(origin.X, origin.Y, angle);
    }

    /// <summary>
    /// Signed gap between a disc and a convex polygon (negative = overlap), the unit normal from
    /// the polygon towards the disc centre and the contact point on the polygon boundary.
    /// </summary>
    internal static (double Gap, Vec2 Normal, Vec2 Point) DiscToPolygon(Vec2 centre, double radius, ReadOnlySpan<Vec2> poly)
    {
        bool inside = true;
        double bestOutside = double.PositiveInfinity;
        Vec2 bestPoint = default;
        double leastDepth = double.PositiveInfinity;
        Vec2 depthNormal = default;
        Vec2 depthPoint = default;
        // The boxes are stored counter-clockwise in maths orientation (ConvexPolygon), so the
        // outward normal of edge a->b is (dy, -dx) / |d|.
        for (int i = 0; i < poly.Length; i++)
        {
            Vec2 a = poly[i], b = poly[(i + 1) % poly.Length];
            Vec2 d = b - a;
            double len = d.Length;
            Vec2 outward = new Vec2(d.Y, -d.X) / len;
            double signed = Vec2.Dot(centre - a, outward);
            if (signed > 0)
            {
                inside = false;
            }

            double t = Math.Clamp(Vec2.Dot(centre - a, d) / (len * len), 0, 1);
            Vec2 q = a + (d * t);
            double dist = (centre - q).Length;
            if (dist < bestOutside)
            {
                bestOutside = dist;
                bestPoint = q;
            }

            if (-signed < leastDepth)
            {
                leastDepth = -signed;
                depthNormal = outward;
                depthPoint = centre - (outward * signed);
            }
        }

        if (inside)
        {
            return (-leastDepth - radius, depthNormal, depthPoint);
        }

        Vec2 normal = bestOutside > 1e-12 ? (centre - bestPoint) / bestOutside : depthNormal;
        return (bestOutside - radius, normal, bestPoint);
    }

    private static void WorldVertices(Pose2 block, Span<Vec2> verts)
    {
        for (int part = 0; part < 2; part++)
        {
            var local = TShape.Parts[part].Vertices;
            for (int i = 0; i < 4; i++)
            {
                verts[(part * 4) + i] = block.LocalToWorld(local[i]);
            }
        }
    }

    private static Contact MakeContact(Vec2 normal, Vec2 arm, double gap, double dt, bool withAgent)
    {
        double rn = Vec2.Cross(arm, normal);
        double k = (1.0 / TShape.Mass) + (rn * rn / TShape.MomentOfInertia);
        // Speculative: a positive gap may close by the end of the substep; an overlap is pushed out.
        double required = gap >= 0 ? -gap / dt : -Baumgarte * gap / dt;
        return new Contact { Normal = normal, Arm = arm, Required = required, InvK = 1.0 / k, WithAgent = withAgent };
    }

    private static void AddWall(ref int n, Span<Contact> contacts, double gap, Vec2 normal, Vec2 arm, double margin, double dt)
    {
        if (gap < margin && n < contacts.Length)
        {
            contacts[n++] = MakeContact(normal, arm, gap, dt, withAgent: false);
        }
    }

    private static Pose2 ProjectOutOfAgent(Pose2 block, Vec2 agent)
    {
        Span<Vec2> verts = stackalloc Vec2[8];
        for (int it = 0; it < PositionIterations; it++)
        {
            WorldVertices(block, verts);
            Vec2 cog = block.LocalToWorld(TShape.CenterOfGravity);
            bool moved = false;
            for (int part = 0; part < 2; part++)
            {
                var (gap, normal, point) = DiscToPolygon(agent, AgentRadius, verts.Slice(part * 4, 4));
                if (gap < -Slop)
                {
                    Vec2 arm = point - cog;
                    double rn = Vec2.Cross(arm, normal);
                    double k = (1.0 / TShape.Mass) + (rn * rn / TShape.MomentOfInertia);
                    double p = -gap / k;
                    Vec2 j = -normal * p;
                    cog += j / TShape.Mass;
                    double angle = block.Angle + (Vec2.Cross(arm, j) / TShape.MomentOfInertia);
                    block = PoseFromCog(cog, angle);
                    moved = true;
                    WorldVertices(block, verts);
                }
            }

            if (!moved)
            {
                break;
            }
        }

        return block;
    }

    private static Pose2 ProjectInsideWalls(Pose2 block)
    {
        Span<Vec2> verts = stackalloc Vec2[8];
        WorldVertices(block, verts);
        double minX = double.PositiveInfinity, maxX = double.NegativeInfinity;
        double minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
        foreach (var v in verts)
        {
            minX = Math.Min(minX, v.X);
            maxX = Math.Max(maxX, v.X);
            minY = Math.Min(minY, v.Y);
            maxY = Math.Max(maxY, v.Y);
        }

        // The T's extent (<= 2 * 85 px) is far below the 497 px interior, so both sides never bind at once.
        double dx = minX < WallMin ? WallMin - minX : maxX > WallMax ? WallMax - maxX : 0;
        double dy = minY < WallMin ? WallMin - minY : maxY > WallMax ? WallMax - maxY : 0;
        return dx == 0 && dy == 0 ? block : new Pose2(block.X + dx, block.Y + dy, block.Angle);
    }
}
