namespace ImmisciblePolicy.Robots.Planning;

/// <summary>Per-request latencies (client round trip and the server's own total), thread-safe, with percentiles.</summary>
public sealed class LatencyRecorder
{
    private readonly object _gate = new();
    private readonly List<double> _roundTrip = [];
    private readonly List<double> _server = [];

    /// <summary>Records one request.</summary>
    /// <param name="roundTripMs">client-measured milliseconds from sending to the reply.</param>
    /// <param name="serverMs">the server's Timing.total_ms, when it reported one.</param>
    public void Add(double roundTripMs, double? serverMs)
    {
        lock (_gate)
        {
            _roundTrip.Add(roundTripMs);
            if (serverMs is double s) _server.Add(s);
        }
    }

    /// <summary>Adds every sample of <paramref name="other"/>.</summary>
    public void AddRange(LatencyRecorder other)
    {
        ArgumentNullException.ThrowIfNull(other);
        double[] rt, sv;
        lock (other._gate)
        {
            rt = [.. other._roundTrip];
            sv = [.. other._server];
        }
        lock (_gate)
        {
            _roundTrip.AddRange(rt);
            _server.AddRange(sv);
        }
    }

    /// <summary>Requests recorded.</summary>
    public int Count
    {
        get { lock (_gate) return _roundTrip.Count; }
    }

    /// <summary>Round-trip percentile <paramref name="q"/> in [0, 1] (nearest rank); 0 when empty.</summary>
    public double RoundTrip(double q)
    {
        lock (_gate) return Percentile(_roundTrip, q);
    }

    /// <summary>Server-side total percentile; 0 when none reported.</summary>
    public double Server(double q)
    {
        lock (_gate) return Percentile(_server, q);
    }

    /// <summary>Nearest-rank percentile of unsorted values: the value at rank ceil(q n) (1-based), q in [0, 1].</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!(q >= 0 && q <= 1)) throw new ArgumentException($"percentile must lie in [0, 1]; received {q}", nameof(q));
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        int rank = Math.Max(1, (int)Math.Ceiling(q * sorted.Length));
        return sorted[rank - 1];
    }
}
