namespace ImmisciblePolicy.Sim.Bimodal;

/// <summary>Which way a reaching trajectory went around the obstacle.</summary>
public enum ReachMode
{
    /// <summary>Never got past the obstacle, or crossed its height on both sides.</summary>
    None,

    /// <summary>Passed the obstacle on the left (smaller x).</summary>
    Left,

    /// <summary>Passed the obstacle on the right (larger x).</summary>
    Right,
}
