namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// One demonstration: Observations[t] was seen before Actions[t] was applied (so both lists have
/// the same length), plus the outcome.
/// </summary>
public sealed record ExpertEpisode(
    IReadOnlyList<double[]> Observations,
    IReadOnlyList<double[]> Actions,
    IReadOnlyList<double> Rewards,
    double FinalCoverage,
    double MaxCoverage,
    bool Success);
