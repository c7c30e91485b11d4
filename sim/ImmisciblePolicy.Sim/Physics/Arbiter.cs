using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>cpArbiterState (include/chipmunk/chipmunk_structs.h).</summary>
internal enum ArbiterState
{
    /// <summary>Touching for the first time (or again after being cached): no warm start this step.</summary>
    FirstCollision,

    /// <summary>Touching in consecutive steps: the accumulated impulses are re-applied (warm start).</summary>
    Normal,

    /// <summary>Rejected until separation (never set by Push-T's handlers).</summary>
    Ignore,

    /// <summary>Not touching this step but kept for up to collisionPersistence steps.</summary>
    Cached,
}

/// <summary>
/// The contact constraint between two shapes (cpArbiter, src/cpArbiter.c): up to two contacts sharing one
/// normal, solved with sequential impulses. Arbiters persist in the space's cache while the shapes keep
/// touching (and for up to collisionPersistence = 3 steps after), so the accumulated impulses of matching
/// contacts (same feature hash) carry over and warm-start the next step.
/// </summary>
internal sealed class Arbiter
{
    public Arbiter(Shape a, Shape b)
    {
        A = a;
        B = b;
        BodyA = a.Body;
        BodyB = b.Body;
    }

    public Shape A { get; private set; }

    public Shape B { get; private set; }

    public Body BodyA { get; private set; }

    public Body BodyB { get; private set; }

    /// <summary>The contacts of the last collision (kept while cached, for matching); null once rejected.</summary>
    public Contact[]? Contacts { get; set; }

    public int Count { get; set; }

    /// <summary>Collision normal from A to B.</summary>
    public Vec2 N { get; private set; }

    /// <summary>Restitution e = e_a e_b.</summary>
    public double E { get; private set; }

    /// <summary>Friction u = u_a u_b.</summary>
    public double U { get; private set; }

    public Vec2 SurfaceVr { get; private set; }

    /// <summary>Space stamp of the last step that found the shapes' boxes overlapping and colliding.</summary>
    public uint Stamp { get; set; }

    public ArbiterState State { get; set; } = ArbiterState.FirstCollision;

    /// <summary>cpArbiterUpdate: takes the new contacts, copying the impulses of contacts with a matching hash.</summary>
    public void Update(CollisionInfo info)
    {
        Shape a = info.A, b = info.B;
        A = a;
        BodyA = a.Body;
        B = b;
        BodyB = b.Body;
        var contacts = new Contact[info.Count];
        for (int i = 0; i < info.Count; i++)
        {
            ref Contact con = ref contacts[i];
            con = info.Contacts[i];
            // r1 and r2 arrive as absolute points; make them offsets from the centres of gravity.
            con.R1 -= a.Body.P;
            con.R2 -= b.Body.P;
            con.JnAcc = con.JtAcc = 0;
            for (int j = 0; j < Count; j++)
            {
                ref Contact old = ref Contacts![j];
                if (con.Hash == old.Hash)
                {
                    con.JnAcc = old.JnAcc;
                    con.JtAcc = old.JtAcc;
                }
            }
        }

        Contacts = contacts;
        Count = info.Count;
        N = info.N;
        E = a.Elasticity * b.Elasticity;
        U = a.Friction * b.Friction;
        Vec2 surfaceVr = b.SurfaceVelocity - a.SurfaceVelocity;
        SurfaceVr = surfaceVr - (info.N * Vec2.Dot(surfaceVr, info.N));
        // Push-T has one collision handler (types 0, 0), so the arbiter is never swapped and no
        // wildcard handler is called: they only count contacts (gym-pusht's post_solve), no physics.
        if (State == ArbiterState.Cached)
        {
            State = ArbiterState.FirstCollision;
        }
    }

    /// <summary>cpArbiterPreStep: effective masses, Baumgarte bias for penetration beyond the slop, bounce.</summary>
    public void PreStep(double dt, double slop, double bias)
    {
        Body a = BodyA, b = BodyB;
        Vec2 n = N;
        Vec2 bodyDelta = b.P - a.P;
        for (int i = 0; i < Count; i++)
        {
            ref Contact con = ref Contacts![i];
            con.NMass = 1.0 / KScalar(a, b, con.R1, con.R2, n);
            con.TMass = 1.0 / KScalar(a, b, con.R1, con.R2, CpMath.Perp(n));
            double dist = Vec2.Dot(con.R2 - con.R1 + bodyDelta, n);
            con.Bias = -bias * CpMath.Min(0.0, dist + slop) / dt;
            con.JBias = 0;
            con.Bounce = Vec2.Dot(RelativeVelocity(a, b, con.R1, con.R2), n) * E;
        }
    }

    /// <summary>cpArbiterApplyCachedImpulse: warm start with last step's impulses scaled by dt / prev_dt.</summary>
    public void ApplyCachedImpulse(double dtCoef)
    {
        if (State == ArbiterState.FirstCollision)
        {
            return;
        }

        Body a = BodyA, b = BodyB;
        Vec2 n = N;
        for (int i = 0; i < Count; i++)
        {
            ref Contact con = ref Contacts![i];
            Vec2 j = CpMath.Rotate(n, new Vec2(con.JnAcc, con.JtAcc));
            ApplyImpulses(a, b, con.R1, con.R2, j * dtCoef);
        }
    }

    /// <summary>cpArbiterApplyImpulse: one sequential-impulse pass over the contacts (bias, normal, friction).</summary>
    public void ApplyImpulse()
    {
        Body a = BodyA, b = BodyB;
        Vec2 n = N;
        Vec2 surfaceVr = SurfaceVr;
        double friction = U;
        for (int i = 0; i < Count; i++)
        {
            ref Contact con = ref Contacts![i];
            double nMass = con.NMass;
            Vec2 r1 = con.R1;
            Vec2 r2 = con.R2;

            Vec2 vb1 = a.VBias + (CpMath.Perp(r1) * a.WBias);
            Vec2 vb2 = b.VBias + (CpMath.Perp(r2) * b.WBias);
            Vec2 vr = RelativeVelocity(a, b, r1, r2) + surfaceVr;

            double vbn = Vec2.Dot(vb2 - vb1, n);
            double vrn = Vec2.Dot(vr, n);
            double vrt = Vec2.Dot(vr, CpMath.Perp(n));

            double jbn = (con.Bias - vbn) * nMass;
            double jbnOld = con.JBias;
            con.JBias = CpMath.Max(jbnOld + jbn, 0.0);

            double jn = -(con.Bounce + vrn) * nMass;
            double jnOld = con.JnAcc;
            con.JnAcc = CpMath.Max(jnOld + jn, 0.0);

            double jtMax = friction * con.JnAcc;
            double jt = -vrt * con.TMass;
            double jtOld = con.JtAcc;
            con.JtAcc = CpMath.Clamp(jtOld + jt, -jtMax, jtMax);

            ApplyBiasImpulses(a, b, r1, r2, n * (con.JBias - jbnOld));
            ApplyImpulses(a, b, r1, r2, CpMath.Rotate(n, new Vec2(con.JnAcc - jnOld, con.JtAcc - jtOld)));
        }
    }

    /// <summary>A copy bound to the mapped shapes and bodies of a cloned space (contacts copied).</summary>
    public Arbiter CopyFor(Func<Shape, Shape> map)
    {
        var copy = new Arbiter(map(A), map(B))
        {
            Contacts = (Contact[]?)Contacts?.Clone(),
            Count = Count,
            N = N,
            E = E,
            U = U,
            SurfaceVr = SurfaceVr,
            Stamp = Stamp,
            State = State,
        };
        return copy;
    }

    /// <summary>relative_velocity: velocity of B's contact point minus A's.</summary>
    private static Vec2 RelativeVelocity(Body a, Body b, Vec2 r1, Vec2 r2)
    {
        Vec2 v1Sum = a.V + (CpMath.Perp(r1) * a.W);
        Vec2 v2Sum = b.V + (CpMath.Perp(r2) * b.W);
        return v2Sum - v1Sum;
    }

    /// <summary>k_scalar: the inverse effective mass of both bodies along n.</summary>
    private static double KScalar(Body a, Body b, Vec2 r1, Vec2 r2, Vec2 n) => KScalarBody(a, r1, n) + KScalarBody(b, r2, n);

    private static double KScalarBody(Body body, Vec2 r, Vec2 n)
    {
        double rcn = Vec2.Cross(r, n);
        return body.MInv + (body.IInv * rcn * rcn);
    }

    private static void ApplyImpulses(Body a, Body b, Vec2 r1, Vec2 r2, Vec2 j)
    {
        a.ApplyImpulse(-j, r1);
        b.ApplyImpulse(j, r2);
    }

    private static void ApplyBiasImpulses(Body a, Body b, Vec2 r1, Vec2 r2, Vec2 j)
    {
        a.ApplyBiasImpulse(-j, r1);
        b.ApplyBiasImpulse(j, r2);
    }
}
