using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Schedulers.ReferenceFormulas;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

public class FlowMatchingTests
{
    private static readonly double[] X0 = { 0.5, -0.25, 0.8, -0.9, 0.1, 0.0 };
    private static readonly double[] Eps = { 1.2, -0.4, 0.3, 0.7, -1.5, 0.05 };

    public FlowMatchingTests() => TorchRuntime.Configure(1);

    [Fact]
    public void Interpolate_IsStraightLineFromDataToNoise()
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching();
        var t = new[] { 0.25, 0.9 };
        var xt = Read(flow.Interpolate(Tensor2x3(X0), Tensor2x3(Eps), tensor(Array.ConvertAll(t, v => (float)v))));
        var expected = Array.ConvertAll(Enumerable.Range(0, 6).ToArray(), i => (1 - t[i / 3]) * X0[i] + t[i / 3] * Eps[i]);
        AssertClose(expected, xt, 1e-6, "x_t");
        // Endpoints: t = 0 is the data, t = 1 is the noise.
        AssertClose(Read(Tensor2x3(X0)), Read(flow.Interpolate(Tensor2x3(X0), Tensor2x3(Eps), zeros(2))), 0, "x_0");
        AssertClose(Read(Tensor2x3(Eps)), Read(flow.Interpolate(Tensor2x3(X0), Tensor2x3(Eps), ones(2))), 0, "x_1");
    }

    [Fact]
    public void VelocityTarget_IsTimeDerivativeOfInterpolation()
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching();
        var x0 = tensor(X0, new long[] { 2, 3 });
        var eps = tensor(Eps, new long[] { 2, 3 });
        var t = tensor(new[] { 0.3, 0.6 });
        var h = 1e-6;
        var derivative = flow.Interpolate(x0, eps, t.add(h)).sub(flow.Interpolate(x0, eps, t)).div(h);
        AssertClose(Read(derivative), Read(flow.VelocityTarget(x0, eps)), 1e-8, "dx/dt");
        AssertClose(Array.ConvertAll(Enumerable.Range(0, 6).ToArray(), i => Eps[i] - X0[i]), Read(flow.VelocityTarget(x0, eps)), 0, "eps - x0");
    }

    [Theory]
    [InlineData(FlowOdeSolver.Euler, 10)]
    [InlineData(FlowOdeSolver.Euler, 50)]
    public void Euler_WithStraightLineOracle_ReturnsX0(FlowOdeSolver solver, int steps)
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching();
        var x0 = Tensor2x3(X0);
        // The exact velocity field of a point mass at x0: v(x, t) = (x - x0) / t. It depends on t, so a solver that
        // passes the wrong time, steps the wrong way or stops early does not land on x0.
        Tensor Oracle(Tensor x, Tensor t) => x.sub(x0).div(t.unsqueeze(1));
        var result = flow.Sample(Oracle, Tensor2x3(Eps), steps, solver);
        AssertClose(X0, Read(result), 1e-5, "x(0)");
    }

    /// <summary>
    /// Exact velocity for Gaussian data x0 ~ N(mu, s^2) per coordinate: with a = 1 - t and V = a^2 s^2 + t^2,
    /// E[eps - x0 | x_t = x] = -mu + (t - a s^2)(x - a mu) / V. Its ODE keeps (x - a mu) / sqrt(V) constant, so it
    /// carries x(1) = eps to x(0) = mu + s eps exactly.
    /// </summary>
    private static Func<Tensor, Tensor, Tensor> GaussianOracle(double mu, double s) => (x, t) =>
    {
        var tb = t.unsqueeze(1);
        var a = tb.neg().add(1.0);
        var variance = a.pow(2).mul(s * s).add(tb.pow(2));
        return tb.sub(a.mul(s * s)).mul(x.sub(a.mul(mu))).div(variance).sub(mu);
    };

    [Fact]
    public void Heun_WithGaussianOracle_ReturnsTransportedPoint()
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching();
        var eps = tensor(Eps, new long[] { 2, 3 }); // float64: isolates the solver's error from float32 rounding
        var result = Read(flow.SampleHeun(GaussianOracle(0.3, 0.5), eps, 100));
        AssertClose(Array.ConvertAll(Eps, e => 0.3 + 0.5 * e), result, 1e-4, "x(0)");
    }

    [Fact]
    public void Solvers_ErrorsShrinkAtTheirOrder()
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching();
        var eps = tensor(Eps, new long[] { 2, 3 });
        var exact = Array.ConvertAll(Eps, e => 0.3 + 0.5 * e);
        double Error(FlowOdeSolver solver, int n) =>
            Read(flow.Sample(GaussianOracle(0.3, 0.5), eps, n, solver)).Zip(exact, (a, b) => Math.Abs(a - b)).Max();
        double eulerRatio = Error(FlowOdeSolver.Euler, 50) / Error(FlowOdeSolver.Euler, 100);
        double heunRatio = Error(FlowOdeSolver.Heun, 50) / Error(FlowOdeSolver.Heun, 100);
        Assert.InRange(eulerRatio, 1.7, 2.3); // first order: halving dt halves the error
        Assert.InRange(heunRatio, 3.4, 4.6);  // second order: halving dt quarters it
    }

    [Fact]
    public void SampleTimes_SameSeed_SameTimes_AndUniformMoments()
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching();
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        var a = Read(flow.SampleTimes(20000, g1));
        var b = Read(flow.SampleTimes(20000, g2));
        Assert.Equal(a, b);
        Assert.All(a, t => Assert.InRange(t, 0.0, 1.0));
        double mean = a.Average(), variance = a.Select(t => (t - mean) * (t - mean)).Average();
        Assert.Equal(0.5, mean, 0.01);          // std error of the mean ~0.002
        Assert.Equal(1.0 / 12, variance, 0.003); // U[0, 1) variance 1/12
    }

    [Fact]
    public void SampleTimes_LogitNormal_HasRequestedLogitMoments()
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching(new FlowMatchingConfig { TimeSampling = FlowTimeSampling.LogitNormal, LogitNormalMean = 0.5, LogitNormalStd = 0.8 });
        using var g = new Generator(6);
        var logits = Read(flow.SampleTimes(20000, g)).Select(t => Math.Log(t / (1 - t))).ToArray();
        double mean = logits.Average(), std = Math.Sqrt(logits.Select(l => (l - mean) * (l - mean)).Average());
        Assert.Equal(0.5, mean, 0.03);
        Assert.Equal(0.8, std, 0.03);
    }

    [Fact]
    public void Sample_InvalidArguments_AreReported()
    {
        using var scope = NewDisposeScope();
        var flow = new FlowMatching();
        var noise = Tensor2x3(Eps);
        var steps = Assert.Throws<ArgumentOutOfRangeException>(() => flow.SampleEuler((x, t) => x, noise, 0));
        Assert.Equal("numSteps", steps.ParamName);
        var shape = Assert.Throws<InvalidOperationException>(() => flow.SampleEuler((x, t) => zeros(2, 4), noise, 3));
        Assert.Contains("[2, 3]", shape.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 4]", shape.Message, StringComparison.Ordinal);
        var time = Assert.Throws<ArgumentOutOfRangeException>(() => flow.Interpolate(noise, noise, tensor(new[] { 0.5f, 1.5f })));
        Assert.Equal("t", time.ParamName);
        var batch = Assert.Throws<ArgumentOutOfRangeException>(() => flow.SampleTimes(0, null));
        Assert.Equal("batchSize", batch.ParamName);
        var config = Assert.Throws<ArgumentOutOfRangeException>(() => new FlowMatching(new FlowMatchingConfig { LogitNormalStd = 0 }));
        Assert.Equal("LogitNormalStd", config.ParamName);
    }
}
