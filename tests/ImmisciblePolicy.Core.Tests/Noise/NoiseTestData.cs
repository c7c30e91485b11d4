using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

/// <summary>Small helpers shared by the noise tests: seeded data and plain-array views.</summary>
internal static class NoiseTestData
{
    internal static void Init() => TorchRuntime.Configure(1);

    /// <summary>Standard normal data of the given shape from its own seed (independent of noise generators).</summary>
    internal static Tensor Data(ulong seed, params long[] shape)
    {
        using var g = new Generator(seed);
        return randn(shape, generator: g);
    }

    internal static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    /// <summary>Rows of a (B, ...) tensor flattened to double arrays.</summary>
    internal static double[][] Rows(Tensor t)
    {
        long b = t.shape[0];
        var v = Values(t);
        int d = (int)(v.Length / b);
        return Enumerable.Range(0, (int)b).Select(i => v.Skip(i * d).Take(d).Select(f => (double)f).ToArray()).ToArray();
    }

    internal static double L2(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s);
    }

    /// <summary>Every permutation of 0..n-1 (Heap's algorithm); n &lt;= 7 keeps it at 5040.</summary>
    internal static IEnumerable<int[]> Permutations(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        var c = new int[n];
        yield return (int[])p.Clone();
        int i = 0;
        while (i < n)
        {
            if (c[i] < i)
            {
                int j = i % 2 == 0 ? 0 : c[i];
                (p[j], p[i]) = (p[i], p[j]);
                yield return (int[])p.Clone();
                c[i]++;
                i = 0;
            }
            else
            {
                c[i] = 0;
                i++;
            }
        }
    }
}
