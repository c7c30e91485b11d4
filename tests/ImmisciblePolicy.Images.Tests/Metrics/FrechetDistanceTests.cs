using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Images.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Tests.Metrics;

public sealed class FrechetDistanceTests
{
    public FrechetDistanceTests() => TorchRuntime.Configure(1);

    [Fact]
    public void Compute_SetWithItself_IsZero()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var a = randn(new long[] { 400, 16 }, generator: g).mm(randn(new long[] { 16, 16 }, generator: g)); // correlated features
        Assert.InRange(FrechetDistance.Compute(a, a), 0, 1e-6);
    }

    [Fact]
    public void Compute_GrowsMonotonicallyWithAddedNoise()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2);
        var a = randn(new long[] { 500, 8 }, generator: g);
        var noise = randn(new long[] { 500, 8 }, generator: g);
        double previous = -1;
        foreach (var sigma in new[] { 0.0, 0.25, 0.5, 1.0, 2.0 })
        {
            double d = FrechetDistance.Compute(a, a.add(noise.mul(sigma)));
            Assert.True(d > previous, $"distance {d} at sigma {sigma} is not above {previous}");
            previous = d;
        }
    }

    [Fact]
    public void Compute_TwoByTwo_MatchesClosedForm()
    {
        // For 2x2 matrices with positive eigenvalues, tr sqrt(A) = sqrt(tr A + 2 sqrt(det A)) (A = C1 C2).
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var a = randn(new long[] { 300, 2 }, generator: g).mm(tensor(new float[] { 2, 0.5f, 0, 1 }).reshape(2, 2));
        var b = randn(new long[] { 200, 2 }, generator: g).mm(tensor(new float[] { 1, -0.3f, 0.2f, 0.7f }).reshape(2, 2)).add(0.4);
        var sa = FeatureStatistics.Of(a);
        var sb = FeatureStatistics.Of(b);
        var c1 = sa.Covariance.data<double>().ToArray();
        var c2 = sb.Covariance.data<double>().ToArray();
        double p00 = c1[0] * c2[0] + c1[1] * c2[2], p01 = c1[0] * c2[1] + c1[1] * c2[3];
        double p10 = c1[2] * c2[0] + c1[3] * c2[2], p11 = c1[2] * c2[1] + c1[3] * c2[3];
        double trSqrt = Math.Sqrt(p00 + p11 + 2 * Math.Sqrt(p00 * p11 - p01 * p10));
        var m1 = sa.Mean.data<double>().ToArray();
        var m2 = sb.Mean.data<double>().ToArray();
        double expected = Math.Pow(m1[0] - m2[0], 2) + Math.Pow(m1[1] - m2[1], 2) + c1[0] + c1[3] + c2[0] + c2[3] - 2 * trSqrt;
        Assert.Equal(expected, FrechetDistance.Compute(sa, sb), 9);
    }

    [Fact]
    public void Compute_DiagonalGaussians_MatchesMeanAndStdDifferences()
    {
        // Independent coordinates: d^2 = sum (m1 - m2)^2 + (s1 - s2)^2 in the large-sample limit.
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var a = randn(new long[] { 20000, 3 }, generator: g);
        var b = randn(new long[] { 20000, 3 }, generator: g).mul(tensor(new float[] { 2, 1, 0.5f })).add(tensor(new float[] { 1, 0, 0 }));
        double expected = 1 + 1 + 0 + 0.25;
        Assert.Equal(expected, FrechetDistance.Compute(a, b), 1);
    }

    [Fact]
    public void Compute_DifferentWidths_IsRejected()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(zeros(5, 3), zeros(5, 4)));
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(zeros(1, 3), zeros(5, 3)));
    }
}
