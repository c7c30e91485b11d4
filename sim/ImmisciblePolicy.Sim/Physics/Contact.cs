using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// One contact point of an arbiter (struct cpContact, include/chipmunk/chipmunk_structs.h). The
/// collision functions fill <see cref="R1"/>/<see cref="R2"/> with absolute surface points;
/// <see cref="Arbiter.Update"/> makes them offsets from the bodies' centres of gravity.
/// </summary>
internal struct Contact
{
    public Vec2 R1;
    public Vec2 R2;
    public double NMass;
    public double TMass;
    public double Bounce;

    /// <summary>Accumulated normal impulse (kept across steps for warm starting).</summary>
    public double JnAcc;

    /// <summary>Accumulated tangent impulse (stays 0 here: friction is 0).</summary>
    public double JtAcc;

    /// <summary>Accumulated bias (position-correction) impulse, reset every step.</summary>
    public double JBias;

    public double Bias;

    /// <summary>Feature hash that identifies the same contact in the next step.</summary>
    public ulong Hash;
}

/// <summary>
/// Result of cpCollide (struct cpCollisionInfo): the shapes in sorted order, the GJK cache id, the normal and up
/// to 2 contacts. One instance per space is reused for every pair (the arbiter copies what it keeps).
/// </summary>
internal sealed class CollisionInfo
{
    public Shape A { get; set; } = null!;

    public Shape B { get; set; } = null!;

    /// <summary>Support-point indexes of the closest features, the GJK starting point of the next query.</summary>
    public uint Id { get; set; }

    /// <summary>Collision normal from A to B.</summary>
    public Vec2 N { get; set; }

    public int Count { get; private set; }

    /// <summary>CP_MAX_CONTACTS_PER_ARBITER = 2.</summary>
    public Contact[] Contacts { get; } = new Contact[2];

    /// <summary>Starts a new query: info = {a, b, id, zero normal, 0 contacts}.</summary>
    public void Reset(Shape a, Shape b, uint id)
    {
        A = a;
        B = b;
        Id = id;
        N = Vec2.Zero;
        Count = 0;
    }

    /// <summary>cpCollisionInfoPushContact.</summary>
    public void PushContact(Vec2 p1, Vec2 p2, ulong hash)
    {
        Contacts[Count] = new Contact { R1 = p1, R2 = p2, Hash = hash };
        Count++;
    }
}
