namespace ImmisciblePolicy.Sim.Geometry;

/// <summary>
/// A rigid 2D pose: the world position of a body's local origin and its angle in radians.
/// local_to_world(v) = Position + R(Angle) v, as pymunk's Body.local_to_world.
/// </summary>
public readonly record struct Pose2(double X, double Y, double Angle)
{
    public Vec2 Position => new(X, Y);

    public Vec2 LocalToWorld(Vec2 local) => Position + local.Rotated(Angle);

    public Vec2 WorldToLocal(Vec2 world) => (world - Position).Rotated(-Angle);
}
