using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

/// <summary>
/// Test-side transcriptions of the published formulas, in float64, written independently of the code under test:
/// Ho et al. 2020 (DDPM) eqs. 4, 7, 15; Song et al. 2021 (DDIM) eqs. 12, 16; Nichol and Dhariwal 2021 eq. 17.
/// </summary>
internal static class ReferenceFormulas
{
    /// <summary>beta_i = beta_start + (beta_end - beta_start) i / (T - 1).</summary>
    public static double LinearBeta(int i, int t, double start = 1e-4, double end = 0.02) => start + (end - start) * i / (t - 1);

    /// <summary>beta_i = (sqrt(start) + (sqrt(end) - sqrt(start)) i / (T - 1))^2.</summary>
    public static double ScaledLinearBeta(int i, int t, double start = 1e-4, double end = 0.02)
    {
        double r = Math.Sqrt(start) + (Math.Sqrt(end) - Math.Sqrt(start)) * i / (t - 1);
        return r * r;
    }

    /// <summary>f(u) = cos^2(((u + s) / (1 + s)) pi / 2), s = 0.008.</summary>
    public static double CosineF(double u)
    {
        double c = Math.Cos((u + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /// <summary>
    /// Closed form of the cosine schedule's abar_t: the product of 1 - beta_i telescopes to f((t+1)/T) / f(0) while no beta
    /// hits the 0.999 cap; only the last beta does (f(1) = 0), which multiplies abar_{T-1} by 1 - 0.999.
    /// </summary>
    public static double CosineAlphaBar(int timestep, int t)
    {
        double telescoped = CosineF((timestep + 1.0) / t) / CosineF(0);
        return timestep == t - 1 ? CosineF((double)(t - 1) / t) / CosineF(0) * (1 - 0.999) : telescoped;
    }

    /// <summary>abar_t = prod_{s &lt;= t} (1 - beta_s).</summary>
    public static double AlphaBar(Func<int, double> beta, int timestep)
    {
        double p = 1;
        for (int s = 0; s <= timestep; s++) p *= 1 - beta(s);
        return p;
    }

    public static Tensor Tensor2x3(double[] values) => tensor(Array.ConvertAll(values, v => (float)v), new long[] { 2, 3 });

    public static double[] Read(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();

    /// <summary>The N(0, I) draws a fresh generator with <paramref name="seed"/> makes for shape (2, 3) float32.</summary>
    public static double[] StandardNormal(ulong seed, long[] shape)
    {
        using var g = new Generator(seed);
        using var z = randn(shape, dtype: ScalarType.Float32, generator: g);
        return Read(z);
    }

    public static void AssertClose(double[] expected, double[] actual, double tolerance, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}, |diff| {Math.Abs(expected[i] - actual[i]):E2} > {tolerance:E1}");
    }
}
