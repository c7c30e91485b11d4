namespace ImmisciblePolicy.Robotics;

/// <summary>
/// A confidence interval for a proportion k / n: Wilson's score interval (Wilson 1927), which stays inside [0, 1] and
/// keeps its coverage near the nominal level for small n and for proportions near 0 or 1, where the normal
/// approximation p +- z sqrt(p (1 - p) / n) collapses to a point.
/// </summary>
/// <param name="Low">lower bound.</param>
/// <param name="High">upper bound.</param>
public readonly record struct ProportionInterval(double Low, double High)
{
    /// <summary>z of a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Wilson interval of <paramref name="successes"/> out of <paramref name="trials"/>:
    /// (p + z^2 / 2n +- z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n) with p = k / n.
    /// </summary>
    public static ProportionInterval Wilson(int successes, int trials, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"expected 0..{trials} successes");
        if (!(z > 0)) throw new ArgumentOutOfRangeException(nameof(z), z, "expected a positive z");
        double n = trials, p = successes / n, z2 = z * z;
        double centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        double half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / (1 + (z2 / n));
        // k = 0 gives Low = 0 and k = n gives High = 1 exactly in real arithmetic; do not let rounding say otherwise.
        return new ProportionInterval(successes == 0 ? 0 : Math.Max(0, centre - half), successes == trials ? 1 : Math.Min(1, centre + half));
    }
}
