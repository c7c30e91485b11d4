using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// A frozen copy of a <see cref="PushTEnv"/>: the whole physics world (bodies, broadphase pairs with their
/// GJK ids, cached arbiters with their accumulated impulses, step stamps), the step count and the last action.
/// <see cref="PushTEnv.Restore(PushTSnapshot)"/> continues exactly as the environment it was taken from.
/// Immutable: restoring copies it, so one snapshot can be restored any number of times.
/// </summary>
public sealed class PushTSnapshot
{
    internal PushTSnapshot(PushTWorld world, int stepCount, Vec2? lastAction)
    {
        World = world;
        StepCount = stepCount;
        LastAction = lastAction;
    }

    /// <summary>Control steps taken since the reset when the snapshot was taken.</summary>
    public int StepCount { get; }

    /// <summary>The bodies' state at the snapshot.</summary>
    public PushTState State => World.State;

    /// <summary>The last (clipped) action applied before the snapshot, or null right after a reset.</summary>
    public Vec2? LastAction { get; }

    internal PushTWorld World { get; }
}
