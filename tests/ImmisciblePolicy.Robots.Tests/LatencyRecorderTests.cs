using ImmisciblePolicy.Robots.Planning;

namespace ImmisciblePolicy.Robots.Tests;

public sealed class LatencyRecorderTests
{
    [Theory]
    [InlineData(0.5, 50)]    // nearest rank: ceil(0.5 * 100) = 50th value
    [InlineData(0.95, 95)]
    [InlineData(0.99, 99)]
    [InlineData(1.0, 100)]
    [InlineData(0.0, 1)]
    [InlineData(0.001, 1)]
    public void Percentile_NearestRank_OnOneToHundred(double q, double expected)
    {
        var shuffled = Enumerable.Range(1, 100).Select(i => (double)i).OrderBy(i => (i * 37) % 101).ToArray();
        Assert.Equal(expected, LatencyRecorder.Percentile(shuffled, q));
    }

    [Fact]
    public void Recorder_SeparatesRoundTripFromServerTime_AndMerges()
    {
        var a = new LatencyRecorder();
        a.Add(10, 4);
        a.Add(30, null);
        var b = new LatencyRecorder();
        b.Add(20, 6);
        b.AddRange(a);
        Assert.Equal(3, b.Count);
        Assert.Equal(20, b.RoundTrip(0.5));
        Assert.Equal(30, b.RoundTrip(0.99));
        Assert.Equal(4, b.Server(0.5));
        Assert.Equal(0, new LatencyRecorder().RoundTrip(0.5));
        Assert.Throws<ArgumentException>(() => b.RoundTrip(1.5));
    }
}
