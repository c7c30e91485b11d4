namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Which way a Push-T trajectory turned the T onto the goal angle: the solution modes of the multimodal
/// demonstrations. Directions are as drawn on screen (gym-pusht renders world pixels with y growing
/// downwards), so <see cref="Clockwise"/> is an increasing body angle.
/// </summary>
public enum PushTMode
{
    /// <summary>No mode: the block turned by less than <see cref="PushTModeClassifier.MinimumRotation"/> either way
    /// (e.g. the agent never touched it), or, for the expert, "take the shorter way" (the unimodal expert).</summary>
    None,

    /// <summary>Turned clockwise on screen (body angle increasing).</summary>
    Clockwise,

    /// <summary>Turned counter-clockwise on screen (body angle decreasing).</summary>
    CounterClockwise,
}
