namespace ImmisciblePolicy.Robots;

/// <summary>The seeds that make a robot's episode reproducible.</summary>
public static class EpisodeSeeds
{
    /// <summary>
    /// Sampler seed of the <paramref name="call"/>-th plan (0-based) in the episode reset with
    /// <paramref name="episodeSeed"/>: the seed <see cref="Robotics.PolicyEvaluator"/> uses for its call-th
    /// batch when it evaluates that one episode (FirstSeed * 1_000_003 + call), so a robot reproduces it.
    /// </summary>
    public static long PlanSeed(long episodeSeed, long call) => (episodeSeed * 1_000_003) + call;
}
