using ImmisciblePolicy.Core.Assignment;

namespace ImmisciblePolicy.Core.Tests.Assignment;

public class LinearAssignmentSolverTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Solve_RandomRealCosts_MatchesBruteForceOptimum(int n)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var rng = new Random(1000 * n + seed);
            // Uniform on [-5, 5): negative costs included on purpose.
            var c = Enumerable.Range(0, n * n).Select(_ => rng.NextDouble() * 10 - 5).ToArray();
            AssertOptimal(c, n, BruteForceMinimum(c, n), tolerance: 1e-9);

            // The float overload reads floats in place; its optimum is that of the widened matrix.
            var cf = c.Select(z => (float)z).ToArray();
            var widened = cf.Select(z => (double)z).ToArray();
            var fromFloat = LinearAssignmentSolver.SolveWithDuals(cf, n);
            AssertPermutation(fromFloat.ColForRow);
            Assert.Equal(BruteForceMinimum(widened, n), fromFloat.TotalCost, 1e-9);
            AssertCertificate(widened, n, fromFloat, tolerance: 1e-9);
        }
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(5, 3)]
    [InlineData(7, 2)]
    [InlineData(8, 4)]
    [InlineData(8, 1)]
    public void Solve_SmallIntegerCostsFullOfTies_MatchesBruteForceOptimum(int n, int levels)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var rng = new Random(7919 * n + 31 * levels + seed);
            // Values in {-1, 0, ..., levels - 2}: many equal entries, several optimal permutations.
            var c = Enumerable.Range(0, n * n).Select(_ => (double)(rng.Next(levels) - 1)).ToArray();
            // Integer costs sum exactly in double, so the optimum must match to the last bit.
            AssertOptimal(c, n, BruteForceMinimum(c, n), tolerance: 0);
        }
    }

    [Fact]
    public void SolveWithDuals_GaussianL2CostAtBatch1024_IsCertifiedOptimal()
    {
        const int n = 1024;
        var c = GaussianL2Cost(n, dim: 32, seed: 42);
        var s = LinearAssignmentSolver.SolveWithDuals(c, n);
        AssertPermutation(s.ColForRow);
        AssertCertificate(c, n, s, tolerance: 1e-9);
        Assert.Equal(s.ColForRow, LinearAssignmentSolver.Solve(c, n));
    }

    [Fact]
    public void SolveWithDuals_WithoutInitialisation_ReachesTheSameOptimum()
    {
        // Pure shortest augmenting paths (no JV column reduction / row reduction) is an independent route
        // to the optimum; both must agree on the optimal value (the permutation may differ on ties).
        foreach (int n in new[] { 50, 200 })
        {
            var c = GaussianL2Cost(n, dim: 784, seed: n);
            var jv = JonkerVolgenant.Solve(c, n, initialise: true);
            var sap = JonkerVolgenant.Solve(c, n, initialise: false);
            AssertCertificate(c, n, jv, tolerance: 1e-9);
            AssertCertificate(c, n, sap, tolerance: 1e-9);
            Assert.Equal(sap.TotalCost, jv.TotalCost, 1e-9);
        }
    }

    [Fact]
    public void Solve_ConstantMatrix_ReturnsAPermutationAtTheOnlyPossibleCost()
    {
        const int n = 300;
        var c = Enumerable.Repeat(2.5, n * n).ToArray();
        var s = LinearAssignmentSolver.SolveWithDuals(c, n);
        AssertPermutation(s.ColForRow);
        Assert.Equal(2.5 * n, s.TotalCost);
        AssertCertificate(c, n, s, tolerance: 1e-12);
    }

    [Fact]
    public void Solve_RepeatedRows_CostsTheSumOfOneRow()
    {
        // A batch of identical samples: every row is the same, so every permutation costs sum(row).
        const int n = 200;
        var rng = new Random(5);
        var row = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
        var c = Enumerable.Range(0, n).SelectMany(_ => row).ToArray();
        var s = LinearAssignmentSolver.SolveWithDuals(c, n);
        AssertPermutation(s.ColForRow);
        Assert.Equal(row.Sum(), s.TotalCost, 1e-9);
        AssertCertificate(c, n, s, tolerance: 1e-9);
    }

    [Fact]
    public void Solve_SeparableCost_EveryPermutationTiesAndTheTotalIsFixed()
    {
        // c[i, j] = a[i] + b[j]: every permutation costs sum(a) + sum(b), the most degenerate dense case.
        const int n = 300;
        var rng = new Random(17);
        var a = Enumerable.Range(0, n).Select(_ => rng.Next(-50, 50)).Select(k => (double)k).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => rng.Next(-50, 50)).Select(k => (double)k).ToArray();
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i * n + j] = a[i] + b[j];
        var s = LinearAssignmentSolver.SolveWithDuals(c, n);
        AssertPermutation(s.ColForRow);
        Assert.Equal(a.Sum() + b.Sum(), s.TotalCost); // integers: exact
        AssertCertificate(c, n, s, tolerance: 1e-12);
    }

    [Fact]
    public void Solve_BlocksOfRepeatedRowsAndColumns_MatchesBruteForceOptimum()
    {
        var rng = new Random(11);
        const int n = 8;
        for (int trial = 0; trial < 10; trial++)
        {
            // Rows come in pairs and columns in triples of equal values: heavy structured ties.
            var baseCost = Enumerable.Range(0, 4 * 3).Select(_ => (double)rng.Next(4)).ToArray();
            var c = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    c[i * n + j] = baseCost[(i / 2) * 3 + Math.Min(j / 3, 2)];
            AssertOptimal(c, n, BruteForceMinimum(c, n), tolerance: 0);
        }
    }

    [Fact]
    public void Solve_FloatAndDoubleOverloads_AgreeOnTheSameValues()
    {
        const int n = 257; // not a multiple of any SIMD width: exercises the scalar tails too
        // The float path widens each element as it reads it, the double path reads the widened copy: both
        // run the same double arithmetic, so they must agree bit for bit.
        var cd = GaussianL2Cost(n, dim: 64, seed: 3);
        var cf = cd.Select(x => (float)x).ToArray();
        var widened = cf.Select(x => (double)x).ToArray();
        var fromFloat = LinearAssignmentSolver.SolveWithDuals(cf, n);
        var fromDouble = LinearAssignmentSolver.SolveWithDuals(widened, n);
        Assert.Equal(fromDouble.ColForRow, fromFloat.ColForRow);
        Assert.Equal(fromDouble.TotalCost, fromFloat.TotalCost);
        Assert.Equal(fromDouble.ColForRow, LinearAssignmentSolver.Solve(cf, n));
        // Rounding the costs to float moves the optimum by at most n * max rounding error.
        var exact = LinearAssignmentSolver.SolveWithDuals(cd, n);
        Assert.True(Math.Abs(exact.TotalCost - fromFloat.TotalCost) <= n * 1e-5,
            $"float optimum {fromFloat.TotalCost} vs double optimum {exact.TotalCost}");
    }

    [Fact]
    public void Solve_EmptyAndSingleton_AreHandled()
    {
        Assert.Empty(LinearAssignmentSolver.Solve(ReadOnlySpan<double>.Empty, 0));
        Assert.Empty(LinearAssignmentSolver.Solve(ReadOnlySpan<float>.Empty, 0));
        var one = LinearAssignmentSolver.SolveWithDuals(new[] { -3.25 }, 1);
        Assert.Equal(new[] { 0 }, one.ColForRow);
        Assert.Equal(-3.25, one.TotalCost);
        Assert.Equal(-3.25, one.U[0] + one.V[0]);
    }

    [Fact]
    public void Solve_KnownTwoByTwo_PicksTheAntiDiagonal()
    {
        // cost [[4, 1], [2, 8]]: diagonal 12, anti-diagonal 3.
        Assert.Equal(new[] { 1, 0 }, LinearAssignmentSolver.Solve(new[] { 4.0, 1.0, 2.0, 8.0 }, 2));
        Assert.Equal(new[] { 1, 0 }, LinearAssignmentSolver.Solve(new[] { 4f, 1f, 2f, 8f }, 2));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Solve_NonFiniteCost_ThrowsNamingCostAndPosition(double bad)
    {
        const int n = 9; // 81 values: the bad one sits past the vector body's first chunks
        var c = Enumerable.Range(0, n * n).Select(k => (double)k).ToArray();
        c[5 * n + 7] = bad;
        var ex = Assert.Throws<ArgumentException>(() => LinearAssignmentSolver.Solve(c, n));
        Assert.Equal("cost", ex.ParamName);
        Assert.Contains("finite", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[5, 7]", ex.Message, StringComparison.Ordinal);
        Assert.Contains(bad.ToString(System.Globalization.CultureInfo.CurrentCulture), ex.Message, StringComparison.Ordinal);

        var cf = c.Select(x => (float)x).ToArray();
        var exf = Assert.Throws<ArgumentException>(() => LinearAssignmentSolver.Solve(cf, n));
        Assert.Equal("cost", exf.ParamName);
        Assert.Contains("[5, 7]", exf.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Solve_SizeMismatch_ThrowsWithExpectedAndReceivedCounts()
    {
        var ex = Assert.Throws<ArgumentException>(() => LinearAssignmentSolver.Solve(new double[15], 4));
        Assert.Equal("cost", ex.ParamName);
        Assert.Contains("16", ex.Message, StringComparison.Ordinal);
        Assert.Contains("received 15", ex.Message, StringComparison.Ordinal);
        var exf = Assert.Throws<ArgumentException>(() => LinearAssignmentSolver.Solve(new float[10], 3));
        Assert.Equal("cost", exf.ParamName);
        Assert.Contains("received 10", exf.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Solve_NegativeSize_ThrowsOutOfRangeNamingN()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => LinearAssignmentSolver.Solve(ReadOnlySpan<double>.Empty, -1));
        Assert.Equal("n", ex.ParamName);
        Assert.Contains("-1", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Immiscible Diffusion's batch cost: ||x_i - e_j||_2 for samples x and noises e ~ N(0, I).</summary>
    private static double[] GaussianL2Cost(int n, int dim, int seed)
    {
        var rng = new Random(seed);
        var x = Gaussian(rng, n * dim);
        var e = Gaussian(rng, n * dim);
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < dim; k++)
                {
                    double diff = x[i * dim + k] - e[j * dim + k];
                    s += diff * diff;
                }
                c[i * n + j] = Math.Sqrt(s);
            }
        return c;
    }

    private static double[] Gaussian(Random rng, int count)
    {
        var g = new double[count];
        for (int k = 0; k < count; k++)
        {
            // Box-Muller; 1 - NextDouble() lies in (0, 1], so the log is finite.
            double r = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble()));
            g[k] = r * Math.Cos(2 * Math.PI * rng.NextDouble());
        }
        return g;
    }

    private static double BruteForceMinimum(double[] c, int n)
    {
        var perm = Enumerable.Range(0, n).ToArray();
        double best = double.PositiveInfinity;
        Permute(0);
        return best;

        void Permute(int k)
        {
            if (k == n)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += c[i * n + perm[i]];
                best = Math.Min(best, s);
                return;
            }
            for (int t = k; t < n; t++)
            {
                (perm[k], perm[t]) = (perm[t], perm[k]);
                Permute(k + 1);
                (perm[k], perm[t]) = (perm[t], perm[k]);
            }
        }
    }

    private static void AssertOptimal(double[] c, int n, double bruteForce, double tolerance)
    {
        var s = LinearAssignmentSolver.SolveWithDuals(c, n);
        AssertPermutation(s.ColForRow);
        double total = 0;
        for (int i = 0; i < n; i++) total += c[i * n + s.ColForRow[i]];
        Assert.Equal(total, s.TotalCost);
        Assert.True(Math.Abs(total - bruteForce) <= tolerance,
            $"n = {n}: solver total {total} but brute-force optimum {bruteForce}");
        AssertCertificate(c, n, s, tolerance: 1e-9);
    }

    private static void AssertPermutation(int[] colForRow)
    {
        var seen = new bool[colForRow.Length];
        foreach (int j in colForRow)
        {
            Assert.InRange(j, 0, colForRow.Length - 1);
            Assert.False(seen[j], $"column {j} assigned twice");
            seen[j] = true;
        }
    }

    /// <summary>LP duality: u_i + v_j &lt;= c_ij everywhere and = on the assignment proves optimality.</summary>
    private static void AssertCertificate(double[] c, int n, AssignmentSolution s, double tolerance)
    {
        double scale = Math.Max(1, c.Max(Math.Abs));
        double eps = tolerance * scale;
        double worstSlack = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                worstSlack = Math.Max(worstSlack, s.U[i] + s.V[j] - c[i * n + j]);
        Assert.True(worstSlack <= eps, $"dual infeasible by {worstSlack} (allowed {eps})");
        for (int i = 0; i < n; i++)
        {
            double gap = Math.Abs(c[i * n + s.ColForRow[i]] - s.U[i] - s.V[s.ColForRow[i]]);
            Assert.True(gap <= eps, $"row {i}: complementary slackness off by {gap} (allowed {eps})");
        }
        Assert.Equal(s.TotalCost, s.U.Sum() + s.V.Sum(), n * eps);
    }
}
