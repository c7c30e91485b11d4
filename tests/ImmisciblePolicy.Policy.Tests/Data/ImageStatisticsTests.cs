using System.Globalization;
using System.Text.Json.Nodes;
using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class ImageStatisticsTests
{
    // numpy oracle of huggingface/lerobot compute_stats.py for one episode of frames: sample_indices, the (0, 2, 3)
    // reduction and RunningQuantileStats after a single update (5000-bin histogram quantiles), divided by 255.
    private const string EpisodeStatsScript = """
        import sys, json, numpy as np
        n, h, w, c = (int(v) for v in sys.argv[1:5])
        frames = np.frombuffer(bytes.fromhex(sys.stdin.read().strip()), dtype=np.uint8).reshape(n, h, w, c)
        num = max(min(100, n), min(int(n ** 0.75), 10000))
        idx = np.round(np.linspace(0, n - 1, num)).astype(int)
        pixels = frames[idx].reshape(-1, c).astype(np.float32)
        out = {"count": len(idx), "indices": idx.tolist()}
        for key in ("min", "max", "mean", "std", "q01", "q10", "q50", "q90", "q99"):
            out[key] = []
        for ch in range(c):
            col = pixels[:, ch]
            lo, hi = col.min(), col.max()
            mean, mean_sq = np.mean(col), np.mean(col ** 2)
            edges = np.linspace(lo - 1e-10, hi + 1e-10, 5001)
            hist, _ = np.histogram(col, bins=edges)
            cs = np.cumsum(hist)
            def quantile(q):
                target = q * len(col)
                i = np.searchsorted(cs, target)
                if i == 0: return edges[0]
                if i >= len(cs): return edges[-1]
                before = cs[i - 1]; inside = cs[i] - before
                if inside == 0: return edges[i]
                return edges[i] + (target - before) / inside * (edges[i + 1] - edges[i])
            out["min"].append(float(lo) / 255); out["max"].append(float(hi) / 255)
            out["mean"].append(float(mean) / 255); out["std"].append(float(np.sqrt(max(0, mean_sq - mean ** 2))) / 255)
            for q in (1, 10, 50, 90, 99):
                out[f"q{q:02d}"].append(float(quantile(q / 100)) / 255)
        print(json.dumps(out))
        """;

    [Fact]
    public void SampleIndices_MatchNumpysRoundedLinspaceOfLeRobotsSampleCount()
    {
        int[] lengths = [1, 2, 7, 99, 100, 101, 150, 499, 500, 1000, 2001, 5000];
        string output = PythonOracle.Run("""
            import sys, json, numpy as np
            for n in (int(v) for v in sys.argv[1:]):
                num = max(min(100, n), min(int(n ** 0.75), 10000))
                print(json.dumps(np.round(np.linspace(0, n - 1, num)).astype(int).tolist()))
            """, [.. lengths.Select(l => l.ToString(CultureInfo.InvariantCulture))]);

        string[] lines = output.Trim().Split('\n');
        for (int i = 0; i < lengths.Length; i++)
        {
            int[] expected = [.. JsonNode.Parse(lines[i])!.AsArray().Select(v => (int)v!)];
            Assert.Equal(expected, ImageStatistics.SampleIndices(lengths[i]));
        }
        // LeRobot's documented counts: 100 up to ~500 frames, 177 at 1000, 594 at 5000.
        Assert.Equal(177, ImageStatistics.SampleIndices(1000).Length);
        Assert.Equal(594, ImageStatistics.SampleIndices(5000).Length);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(130)]
    public void ComputeEpisode_MatchesTheNumpyReferenceOfLeRobotsEpisodeStats(int length)
    {
        var feature = CameraFixtures.Camera;
        var frames = CameraFixtures.Frames(feature, 1, length);
        var all = new byte[length * feature.FrameBytes];
        for (int t = 0; t < length; t++)
            frames.CopyFrame(t, all.AsSpan(t * feature.FrameBytes, feature.FrameBytes));

        string output = RunWithStdin(EpisodeStatsScript, Convert.ToHexStringLower(all),
            $"{length}", $"{feature.Height}", $"{feature.Width}", $"{feature.Channels}");
        JsonObject expected = JsonNode.Parse(output)!.AsObject();

        FeatureStatistics stats = ImageStatistics.ComputeEpisode(frames);

        Assert.Equal((long)expected["count"]!, stats.Count);
        AssertClose(expected["min"], stats.Min, 1e-12);
        AssertClose(expected["max"], stats.Max, 1e-12);
        // numpy averages float32 pixels (pairwise sums); we sum exactly in double.
        AssertClose(expected["mean"], stats.Mean, 1e-6);
        AssertClose(expected["std"], stats.Std, 1e-6);
        for (int q = 0; q < LeRobotLayout.Quantiles.Count; q++)
            AssertClose(expected[LeRobotLayout.Quantiles[q].Name], stats.Quantiles[q], 1e-9);
    }

    [Fact]
    public void ComputeEpisode_OfAUniformColour_IsThatColourOver255WithZeroSpread()
    {
        var feature = new ImageFeature("cam", 4, 4, 3);
        byte[] frame = [.. Enumerable.Range(0, 16).SelectMany(_ => new byte[] { 255, 0, 51 })];
        var frames = new InMemoryImageFrames(feature, [frame, frame, frame]);

        FeatureStatistics stats = ImageStatistics.ComputeEpisode(frames);

        Assert.Equal(3, stats.Count);
        Assert.Equal([1.0, 0.0, 0.2], stats.Mean);
        Assert.Equal([1.0, 0.0, 0.2], stats.Min);
        Assert.Equal([1.0, 0.0, 0.2], stats.Max);
        Assert.Equal([0.0, 0.0, 0.0], stats.Std);
    }

    [Fact]
    public void ComputeEpisode_OfFramesOf300PixelsOrMore_SubsamplesEveryFactorthPixelAsLeRobot()
    {
        // 2 x 300: factor int(300 / 150) = 2 keeps columns 0, 2, 4, ...; those are 0, the odd ones 255.
        var feature = new ImageFeature("cam", 2, 300, 1);
        byte[] frame = [.. Enumerable.Range(0, 600).Select(i => (byte)(i % 2 == 0 ? 0 : 255))];

        FeatureStatistics stats = ImageStatistics.ComputeEpisode(new InMemoryImageFrames(feature, [frame]));

        Assert.Equal([0.0], stats.Max);
        Assert.Equal(1, stats.Count);
    }

    [Fact]
    public void Aggregate_WeightsMeansByCount_PoolsVariances_AndTakesTheQuantileEnvelope()
    {
        static FeatureStatistics S(double mean, double std, long count, double q) =>
            new([mean - 1], [mean + 1], [mean], [std], count, [.. LeRobotLayout.Quantiles.Select(_ => new[] { q })]);
        FeatureStatistics a = S(0.2, 0.1, 100, 0.3), b = S(0.5, 0.2, 300, 0.6);

        FeatureStatistics total = ImageStatistics.Aggregate([a, b]);

        Assert.Equal(400, total.Count);
        Assert.Equal((0.2 * 100 + 0.5 * 300) / 400, total.Mean[0], 12);
        double pooled = ((0.01 + Math.Pow(0.2 - 0.425, 2)) * 100 + (0.04 + Math.Pow(0.5 - 0.425, 2)) * 300) / 400;
        Assert.Equal(Math.Sqrt(pooled), total.Std[0], 12);
        Assert.Equal(-0.8, total.Min[0], 12);
        Assert.Equal(1.5, total.Max[0], 12);
        Assert.Equal(0.3, total.Quantiles[2][0]);   // q50: minimum over episodes
        Assert.Equal(0.6, total.Quantiles[3][0]);   // q90: maximum over episodes
    }

    private static void AssertClose(JsonNode? expected, double[] actual, double tolerance)
    {
        double[] e = [.. expected!.AsArray().Select(v => (double)v!)];
        Assert.Equal(e.Length, actual.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - actual[i]) <= tolerance, $"channel {i}: expected {e[i]:R}, got {actual[i]:R}");
    }

    private static string RunWithStdin(string script, string stdin, params string[] args)
    {
        string path = Path.Combine(Path.GetTempPath(), $"immiscible-frames-{Guid.NewGuid():N}.hex");
        File.WriteAllText(path, stdin);
        try
        {
            return PythonOracle.Run("import sys; sys.stdin = open(sys.argv.pop(), 'r')\n" + script, [.. args, path]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
