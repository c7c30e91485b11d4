namespace ImmisciblePolicy.Server.Inference;

/// <summary>One metrics window of a policy.</summary>
public sealed record PlanStatisticsWindow(long Plans, long Batches, long Rejected, double P50Ms, double P99Ms);

/// <summary>Counts plans, batches and rejections and keeps total latencies until the next snapshot.</summary>
public sealed class PlanStatistics
{
    private readonly object _gate = new();
    private readonly List<double> _totals = [];
    private long _batches, _rejected, _nonFinite;

    /// <summary>Records one answered plan.</summary>
    public void RecordPlan(double totalMs)
    {
        lock (_gate) _totals.Add(totalMs);
    }

    /// <summary>Records one network call.</summary>
    public void RecordBatch() => Interlocked.Increment(ref _batches);

    /// <summary>Replies refused because the network produced NaN or Inf, since the server started.</summary>
    public long NonFiniteReplies => Interlocked.Read(ref _nonFinite);

    /// <summary>Records one reply refused for non-finite actions.</summary>
    public void RecordNonFinite() => Interlocked.Increment(ref _nonFinite);

    /// <summary>Records one RESOURCE_EXHAUSTED answer.</summary>
    public void RecordRejected() => Interlocked.Increment(ref _rejected);

    /// <summary>The window since the last call, then starts a new one.</summary>
    public PlanStatisticsWindow TakeWindow()
    {
        double[] totals;
        lock (_gate)
        {
            totals = [.. _totals];
            _totals.Clear();
        }
        Array.Sort(totals);
        return new PlanStatisticsWindow(totals.Length, Interlocked.Exchange(ref _batches, 0), Interlocked.Exchange(ref _rejected, 0),
            Percentile(totals, 0.50), Percentile(totals, 0.99));
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 for none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) return 0;
        int rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
