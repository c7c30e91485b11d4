namespace ImmisciblePolicy.Robotics;

/// <summary>Baseline: uniformly random targets in the 512 x 512 workspace, Ta at a time.</summary>
public sealed class RandomPlanner(int actionSteps = 8) : IActionChunkPlanner
{
    /// <inheritdoc />
    public int ObservationSteps => 1;

    /// <inheritdoc />
    public double[][][] Plan(IReadOnlyList<double[][]> windows, long seed)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var random = new Random(unchecked((int)seed));
        return windows.Select(_ => Enumerable.Range(0, actionSteps)
            .Select(_ => new[] { random.NextDouble() * 512, random.NextDouble() * 512 }).ToArray()).ToArray();
    }
}
