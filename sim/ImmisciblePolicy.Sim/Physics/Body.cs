using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>Chipmunk's body types (cpBodyType).</summary>
internal enum BodyType
{
    Dynamic,
    Kinematic,
    Static,
}

/// <summary>
/// A rigid body as Chipmunk2D 7.0.3 keeps it (cpBody, src/cpBody.c): <see cref="P"/> is the world
/// position of the centre of gravity, <see cref="Position"/> (what pymunk's <c>body.position</c>
/// reports) is the world position of the body origin, read back through <see cref="Transform"/>.
/// Kinematic and static bodies have infinite mass and zero inverse mass; every impulse is still
/// applied to them (as in C), it just scales to zero.
/// </summary>
internal sealed class Body
{
    public double M;
    public double MInv;
    public double I;
    public double IInv;

    /// <summary>Centre of gravity in body coordinates.</summary>
    public Vec2 Cog;

    /// <summary>World position of the centre of gravity.</summary>
    public Vec2 P;

    public Vec2 V;
    public Vec2 F;
    public double A;
    public double W;
    public double Torque;
    public Transform Transform;
    public Vec2 VBias;
    public double WBias;

    /// <summary>sleeping.idleTime: infinite marks a static body (cpBodyGetType).</summary>
    public double IdleTime;

    private Body()
    {
    }

    /// <summary>cpBodyNew(mass, moment): a dynamic body at the origin, angle 0.</summary>
    public static Body NewDynamic(double mass, double moment)
    {
        var body = new Body();
        body.Init(mass, moment);
        return body;
    }

    /// <summary>cpBodyNewKinematic: cpBodyNew(0, 0) then cpBodySetType(KINEMATIC).</summary>
    public static Body NewKinematic()
    {
        var body = NewDynamic(0, 0);
        body.SetType(BodyType.Kinematic);
        return body;
    }

    /// <summary>cpBodyNewStatic: cpBodyNew(0, 0) then cpBodySetType(STATIC).</summary>
    public static Body NewStatic()
    {
        var body = NewDynamic(0, 0);
        body.SetType(BodyType.Static);
        return body;
    }

    /// <summary>cpBodyGetType.</summary>
    public BodyType Type => double.IsPositiveInfinity(IdleTime) ? BodyType.Static
        : double.IsPositiveInfinity(M) ? BodyType.Kinematic
        : BodyType.Dynamic;

    /// <summary>cpBodyGetPosition: the body origin in world coordinates, cpTransformPoint(transform, 0).</summary>
    public Vec2 Position => Transform.Point(Vec2.Zero);

    /// <summary>cpBodySetPosition: places the body origin; the centre of gravity follows at the current angle.</summary>
    public void SetPosition(Vec2 position)
    {
        P = Transform.Vect(Cog) + position;
        SetTransform(P, A);
    }

    /// <summary>cpBodySetAngle: rotates about the centre of gravity (P stays).</summary>
    public void SetAngle(double angle)
    {
        A = angle;
        SetTransform(P, angle);
    }

    /// <summary>
    /// cpBodySetCenterOfGravity: only stores the offset; neither P nor the transform changes until the
    /// next position or angle update (why add_tee's order of setters matters).
    /// </summary>
    public void SetCenterOfGravity(Vec2 cog) => Cog = cog;

    /// <summary>cpBodyUpdateVelocity: v = v damping + (g + f / m) dt; kinematic bodies are skipped.</summary>
    public void UpdateVelocity(Vec2 gravity, double damping, double dt)
    {
        if (Type == BodyType.Kinematic)
        {
            return;
        }

        V = (V * damping) + ((gravity + (F * MInv)) * dt);
        W = (W * damping) + (Torque * IInv * dt);
        F = Vec2.Zero;
        Torque = 0;
    }

    /// <summary>cpBodyUpdatePosition: integrates with the solved velocity plus the bias velocity, then clears the bias.</summary>
    public void UpdatePosition(double dt)
    {
        P += (V + VBias) * dt;
        A += (W + WBias) * dt;
        SetTransform(P, A);
        VBias = Vec2.Zero;
        WBias = 0;
    }

    /// <summary>apply_impulse (chipmunk_private.h).</summary>
    public void ApplyImpulse(Vec2 j, Vec2 r)
    {
        V += j * MInv;
        W += IInv * Vec2.Cross(r, j);
    }

    /// <summary>apply_bias_impulse (chipmunk_private.h).</summary>
    public void ApplyBiasImpulse(Vec2 j, Vec2 r)
    {
        VBias += j * MInv;
        WBias += IInv * Vec2.Cross(r, j);
    }

    /// <summary>A field-for-field copy (the caller re-links shapes and arbiters).</summary>
    public Body Copy() => (Body)MemberwiseClone();

    /// <summary>cpBodyInit: zero state, then cpBodySetMass, cpBodySetMoment, cpBodySetAngle(0).</summary>
    private void Init(double mass, double moment)
    {
        M = mass;
        MInv = mass == 0 ? double.PositiveInfinity : 1.0 / mass;
        I = moment;
        IInv = moment == 0 ? double.PositiveInfinity : 1.0 / moment;
        SetAngle(0);
    }

    /// <summary>cpBodySetType for a body not yet in a space.</summary>
    private void SetType(BodyType type)
    {
        if (Type == type)
        {
            return;
        }

        if (type == BodyType.Dynamic)
        {
            throw new NotSupportedException("Push-T never turns a body dynamic after creation.");
        }

        IdleTime = type == BodyType.Static ? double.PositiveInfinity : 0;
        M = I = double.PositiveInfinity;
        MInv = IInv = 0;
        V = Vec2.Zero;
        W = 0;
    }

    /// <summary>SetTransform (cpBody.c): rotation by a about the centre of gravity placed at p.</summary>
    private void SetTransform(Vec2 p, double a)
    {
        Vec2 rot = CpMath.ForAngle(a);
        Vec2 c = Cog;
        Transform = Transform.NewTranspose(
            rot.X, -rot.Y, p.X - ((c.X * rot.X) - (c.Y * rot.Y)),
            rot.Y, rot.X, p.Y - ((c.X * rot.Y) + (c.Y * rot.X)));
    }
}
