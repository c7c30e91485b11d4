using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// The bodies' state in Push-T (a value copy). The block's velocities matter: Chipmunk integrates positions
/// at the start of a step with the velocities the previous step solved (damping 0 clears them only before
/// the next solve). The contact cache is not part of this record; <see cref="PushTEnv.Snapshot"/> captures
/// everything for an exact continuation.
/// </summary>
/// <param name="Agent">Agent (disc centre) position in world pixels.</param>
/// <param name="AgentVelocity">Agent velocity in pixels/s (kinematic body, set by the PD controller).</param>
/// <param name="Block">Block pose: world position of the T's body origin and its angle (radians, unwrapped).</param>
/// <param name="BlockVelocity">Velocity of the block's centre of gravity in pixels/s after the last solve.</param>
/// <param name="BlockAngularVelocity">Block angular velocity in rad/s after the last solve.</param>
public readonly record struct PushTState(Vec2 Agent, Vec2 AgentVelocity, Pose2 Block, Vec2 BlockVelocity = default, double BlockAngularVelocity = 0)
{
    /// <summary>World position of the block's centre of gravity (body point (0, 45)).</summary>
    public Vec2 BlockCenterOfGravity => Block.LocalToWorld(TShape.CenterOfGravity);
}
