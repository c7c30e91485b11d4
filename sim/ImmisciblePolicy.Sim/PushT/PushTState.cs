using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Full dynamic state of Push-T: a value type, so copying it snapshots the simulation.
/// </summary>
/// <param name="Agent">Agent (disc centre) position in world pixels.</param>
/// <param name="AgentVelocity">Agent velocity in pixels/s (kinematic body, set by the PD controller).</param>
/// <param name="Block">Block pose: world position of the T's body origin and its angle (radians, unwrapped).</param>
public readonly record struct PushTState(Vec2 Agent, Vec2 AgentVelocity, Pose2 Block)
{
    /// <summary>World position of the block's centre of gravity (body point (0, 45)).</summary>
    public Vec2 BlockCenterOfGravity => Block.LocalToWorld(TShape.CenterOfGravity);
}
