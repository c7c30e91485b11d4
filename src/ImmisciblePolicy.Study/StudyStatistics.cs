namespace ImmisciblePolicy.Study;

/// <summary>A mean with the half-width of its two-sided 95 % Student-t confidence interval (NaN half-width for n &lt; 2).</summary>
public readonly record struct Estimate(double Mean, double HalfWidth, int Count)
{
    /// <summary>"0.812 ± 0.034 (n=3)", or "–" when empty.</summary>
    public string Format(string format) => Count == 0 ? "–"
        : Count == 1 ? $"{Mean.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} (n=1)"
        : $"{Mean.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} ± {HalfWidth.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} (n={Count})";

    /// <summary>True when the interval excludes zero (a difference that is significant at the 5 % level).</summary>
    public bool ExcludesZero => Count >= 2 && Math.Abs(Mean) > HalfWidth;
}

/// <summary>Small-sample statistics for seed-level results.</summary>
public static class StudyStatistics
{
    // Two-sided 95 % quantiles t_{0.975, df} for df = 1..30 (standard tables).
    private static readonly double[] T975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    /// <summary>t_{0.975, df}: 4.303 for df = 2; the normal 1.960 beyond df = 30.</summary>
    public static double TQuantile975(int degreesOfFreedom)
    {
        if (degreesOfFreedom < 1) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "must be at least 1");
        return degreesOfFreedom <= T975.Length ? T975[degreesOfFreedom - 1] : 1.960;
    }

    /// <summary>Mean and 95 % t-interval of the finite values (sample standard deviation, n - 1).</summary>
    public static Estimate Interval(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) return new Estimate(double.NaN, double.NaN, 0);
        double mean = v.Average();
        if (v.Length == 1) return new Estimate(mean, double.NaN, 1);
        double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return new Estimate(mean, TQuantile975(v.Length - 1) * sd / Math.Sqrt(v.Length), v.Length);
    }

    /// <summary>
    /// The first step of <paramref name="curve"/> (ascending steps) whose value reaches <paramref name="target"/> in the
    /// metric's direction, or null if it never does.
    /// </summary>
    public static long? FirstStepReaching(IReadOnlyList<(long Step, double Value)> curve, double target, bool higherIsBetter)
    {
        foreach (var (step, value) in curve)
            if (double.IsFinite(value) && (higherIsBetter ? value >= target : value <= target)) return step;
        return null;
    }
}
