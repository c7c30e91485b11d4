namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Per-channel statistics of a camera feature as LeRobot computes them for `image` and `video` features
/// (huggingface/lerobot datasets/compute_stats.py):
/// <list type="bullet">
/// <item>per episode (compute_episode_stats): sample frames at <see cref="SampleIndices"/>, halve large frames
/// (auto_downsample_height_width), then over every sampled pixel of each channel min, max, mean, population std
/// and the q01..q99 quantiles of RunningQuantileStats (a 5000-bin histogram between min and max), all divided by
/// 255 so they lie in [0, 1]; count is the number of sampled frames;</item>
/// <item>over the dataset (aggregate_feature_stats): min of mins, max of maxes, count-weighted mean, the pooled
/// variance sum(count (std^2 + (mean - total mean)^2)) / total count, and for quantiles the envelope: the minimum
/// of q01/q10/q50 and the maximum of q90/q99 over episodes.</item>
/// </list>
/// Each array has one entry per channel; stats.json stores them with shape (C, 1, 1). Streaming: an episode
/// needs one frame buffer and 256 counters per channel, never all its frames at once.
/// </summary>
public static class ImageStatistics
{
    /// <summary>RunningQuantileStats' num_quantile_bins.</summary>
    public const int QuantileBins = 5000;

    /// <summary>Frames at or above this many pixels on their long side are subsampled (max_size_threshold).</summary>
    public const int DownsampleThreshold = 300;

    /// <summary>Target long side when subsampling (auto_downsample_height_width target_size).</summary>
    public const int DownsampleTarget = 150;

    /// <summary>
    /// Frames of an episode of <paramref name="length"/> that LeRobot samples (sample_indices): n =
    /// estimate_num_samples(length) = max(min(100, length), min(floor(length^0.75), 10000)) evenly spaced indices,
    /// numpy round (half to even) of linspace(0, length - 1, n).
    /// </summary>
    public static int[] SampleIndices(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        int minimum = Math.Min(100, length);
        int count = Math.Max(minimum, Math.Min((int)Math.Pow(length, 0.75), 10_000));
        var indices = new int[count];
        if (count == 1)
            return indices;
        // numpy.linspace: arange(num) * step + start, with the last point set to stop exactly.
        double step = (length - 1) / (double)(count - 1);
        for (int i = 0; i < count - 1; i++)
            indices[i] = (int)Math.Round(i * step, MidpointRounding.ToEven);
        indices[^1] = length - 1;
        return indices;
    }

    /// <summary>Statistics of one episode's frames of one camera (values in [0, 1], count = sampled frames).</summary>
    public static FeatureStatistics ComputeEpisode(IImageFrames frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count < 1)
            throw new ArgumentException($"image feature '{frames.Feature.Name}': an episode needs at least one frame for statistics", nameof(frames));
        ImageFeature f = frames.Feature;
        int channels = f.Channels;
        int factor = Math.Max(f.Height, f.Width) < DownsampleThreshold ? 1
            : f.Width > f.Height ? f.Width / DownsampleTarget : f.Height / DownsampleTarget;
        var histogram = new long[channels, 256];
        var buffer = new byte[f.FrameBytes];
        int[] sampled = SampleIndices(frames.Count);
        foreach (int index in sampled)
        {
            frames.CopyFrame(index, buffer);
            // img[:, ::factor, ::factor] of the CHW frame.
            for (int y = 0; y < f.Height; y += factor)
            {
                int row = y * f.Width * channels;
                for (int x = 0; x < f.Width; x += factor)
                {
                    int at = row + (x * channels);
                    for (int c = 0; c < channels; c++)
                        histogram[c, buffer[at + c]]++;
                }
            }
        }

        var min = new double[channels];
        var max = new double[channels];
        var mean = new double[channels];
        var std = new double[channels];
        var quantiles = LeRobotLayout.Quantiles.Select(_ => new double[channels]).ToArray();
        var counts = new long[256];
        for (int c = 0; c < channels; c++)
        {
            for (int v = 0; v < 256; v++)
                counts[v] = histogram[c, v];
            ChannelStatistics(counts, out double lo, out double hi, out double mu, out double sigma, out double[] q);
            min[c] = lo / 255;
            max[c] = hi / 255;
            mean[c] = mu / 255;
            std[c] = sigma / 255;
            for (int k = 0; k < q.Length; k++)
                quantiles[k][c] = q[k] / 255;
        }
        return new FeatureStatistics(min, max, mean, std, sampled.Length, quantiles);
    }

    /// <summary>LeRobot's aggregate_feature_stats over per-episode statistics of one feature.</summary>
    public static FeatureStatistics Aggregate(IReadOnlyList<FeatureStatistics> episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        if (episodes.Count == 0)
            throw new ArgumentException("expected statistics of at least one episode, received none", nameof(episodes));
        int dim = episodes[0].Mean.Length;
        if (episodes.Any(s => s.Mean.Length != dim))
            throw new ArgumentException($"every episode's statistics must have {dim} channels", nameof(episodes));
        long total = episodes.Sum(s => s.Count);
        var min = new double[dim];
        var max = new double[dim];
        var mean = new double[dim];
        var std = new double[dim];
        var quantiles = LeRobotLayout.Quantiles.Select(_ => new double[dim]).ToArray();
        for (int d = 0; d < dim; d++)
        {
            min[d] = episodes.Min(s => s.Min[d]);
            max[d] = episodes.Max(s => s.Max[d]);
            mean[d] = episodes.Sum(s => s.Mean[d] * s.Count) / total;
            double pooled = episodes.Sum(s => ((s.Std[d] * s.Std[d]) + ((s.Mean[d] - mean[d]) * (s.Mean[d] - mean[d]))) * s.Count) / total;
            std[d] = Math.Sqrt(pooled);
            for (int k = 0; k < quantiles.Length; k++)
            {
                // "Exact global quantiles cannot be recovered from quantile summaries": lower quantiles take the
                // minimum over episodes, upper ones (q > 0.5) the maximum.
                quantiles[k][d] = LeRobotLayout.Quantiles[k].Q <= 0.5
                    ? episodes.Min(s => s.Quantiles[k][d])
                    : episodes.Max(s => s.Quantiles[k][d]);
            }
        }
        return new FeatureStatistics(min, max, mean, std, total, quantiles);
    }

    /// <summary>
    /// One channel's statistics from the counts of each byte value, as RunningQuantileStats computes them after a
    /// single update: mean and mean of squares (std = sqrt(max(0, E[x^2] - E[x]^2))), and quantiles from a histogram
    /// of <see cref="QuantileBins"/> bins over numpy.linspace(min - 1e-10, max + 1e-10, bins + 1) (np.histogram:
    /// half-open bins, the last one closed), read by cumulative count with linear interpolation inside a bin.
    /// </summary>
    internal static void ChannelStatistics(ReadOnlySpan<long> counts, out double min, out double max, out double mean, out double std, out double[] quantiles)
    {
        long n = 0;
        double sum = 0, squares = 0;
        int lo = -1, hi = -1;
        for (int v = 0; v < counts.Length; v++)
        {
            if (counts[v] == 0)
                continue;
            if (lo < 0)
                lo = v;
            hi = v;
            n += counts[v];
            sum += (double)v * counts[v];
            squares += (double)v * v * counts[v];
        }
        if (n < 1)
            throw new ArgumentException("expected at least one pixel value", nameof(counts));
        min = lo;
        max = hi;
        mean = sum / n;
        std = Math.Sqrt(Math.Max(0, (squares / n) - (mean * mean)));

        var edges = new double[QuantileBins + 1];
        double start = lo - 1e-10, stop = hi + 1e-10, step = (stop - start) / QuantileBins;
        for (int j = 0; j < QuantileBins; j++)
            edges[j] = (j * step) + start;
        edges[QuantileBins] = stop;
        var bins = new long[QuantileBins];
        for (int v = lo; v <= hi; v++)
        {
            if (counts[v] == 0)
                continue;
            // Bin j holds [edges[j], edges[j + 1]); the last bin also holds its right edge.
            int upper = Array.BinarySearch(edges, (double)v);
            int j = upper >= 0 ? upper : ~upper - 1;
            bins[Math.Clamp(j, 0, QuantileBins - 1)] += counts[v];
        }
        var cumulative = new long[QuantileBins];
        long running = 0;
        for (int j = 0; j < QuantileBins; j++)
            cumulative[j] = running += bins[j];

        quantiles = new double[LeRobotLayout.Quantiles.Count];
        for (int k = 0; k < quantiles.Length; k++)
            quantiles[k] = HistogramQuantile(cumulative, edges, LeRobotLayout.Quantiles[k].Q * n);
    }

    /// <summary>RunningQuantileStats._compute_single_quantile: first bin whose cumulative count reaches the target.</summary>
    private static double HistogramQuantile(long[] cumulative, double[] edges, double target)
    {
        int idx = 0;
        while (idx < cumulative.Length && cumulative[idx] < target)
            idx++;
        if (idx == 0)
            return edges[0];
        if (idx >= cumulative.Length)
            return edges[^1];
        long before = cumulative[idx - 1];
        long inBin = cumulative[idx] - before;
        if (inBin == 0)
            return edges[idx];
        double fraction = (target - before) / inBin;
        return edges[idx] + (fraction * (edges[idx + 1] - edges[idx]));
    }
}
