namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Per-dimension statistics of one feature, as LeRobot stores them in meta/stats.json and in the
/// stats/* columns of the episodes table (huggingface/lerobot compute_stats.py, get_feature_stats):
/// min, max, mean, population std (numpy np.std, ddof 0), frame count, and the quantiles of
/// <see cref="LeRobotLayout.Quantiles"/>.
/// </summary>
/// <param name="Quantiles">One array per entry of <see cref="LeRobotLayout.Quantiles"/>, each of width dim.</param>
public sealed record FeatureStatistics(
    double[] Min, double[] Max, double[] Mean, double[] Std, long Count, IReadOnlyList<double[]> Quantiles)
{
    /// <summary>Statistics of a (count, dim) row-major block of values.</summary>
    public static FeatureStatistics Compute(ReadOnlySpan<double> values, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (values.Length == 0 || values.Length % dim != 0)
            throw new ArgumentException($"expected a non-empty multiple of {dim} values, received {values.Length}", nameof(values));
        int count = values.Length / dim;
        var min = new double[dim];
        var max = new double[dim];
        var mean = new double[dim];
        var std = new double[dim];
        var quantiles = LeRobotLayout.Quantiles.Select(_ => new double[dim]).ToArray();
        var column = new double[count];
        for (int d = 0; d < dim; d++)
        {
            for (int i = 0; i < count; i++)
                column[i] = values[i * dim + d];
            double sum = 0;
            foreach (double v in column)
                sum += v;
            double mu = sum / count;
            double squares = 0;
            foreach (double v in column)
                squares += (v - mu) * (v - mu);
            Array.Sort(column);
            min[d] = column[0];
            max[d] = column[^1];
            mean[d] = mu;
            std[d] = Math.Sqrt(squares / count);
            for (int q = 0; q < quantiles.Length; q++)
                quantiles[q][d] = SortedQuantile(column, LeRobotLayout.Quantiles[q].Q);
        }
        return new FeatureStatistics(min, max, mean, std, count, quantiles);
    }

    /// <summary>numpy's default ("linear") quantile of sorted data: interpolate at position q (n - 1).</summary>
    internal static double SortedQuantile(ReadOnlySpan<double> sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        double fraction = position - lower;
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
    }
}
