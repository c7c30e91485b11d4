using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImmisciblePolicy.Core.Assignment;

/// <summary>
/// Jonker-Volgenant shortest augmenting path algorithm for the dense square linear assignment problem
/// (R. Jonker, A. Volgenant, "A shortest augmenting path algorithm for dense and sparse linear assignment
/// problems", Computing 38, 1987). Exact: every phase keeps the JV invariant that each assigned row sits on
/// a column of minimal reduced cost <c>c[i, j] - v[j]</c>, and the final augmentations are Dijkstra
/// shortest paths on those non-negative reduced costs, so the result is an optimal permutation certified by
/// the potentials (u, v) with <c>u[i] = c[i, x[i]] - v[x[i]]</c>.
/// </summary>
/// <remarks>
/// Phases, as in the paper (section 4): (1) column reduction, (2) reduction transfer, (3) two passes of
/// augmenting row reduction, (4) Dijkstra augmentation for the rows still free. On Immiscible Diffusion's
/// Gaussian L2 costs phases (1)-(3) leave roughly 10-30% of the rows free for the cheap price of a few
/// O(n^2) sweeps, but most of the time goes to the long augmenting paths of the last rows, so the saving is
/// modest (measured in docs/benchmarks/lap-vs-scipy.md). SciPy's linear_sum_assignment
/// (scipy/optimize/rectangular_lsap/rectangular_lsap.cpp, augmenting_path, after Crouse 2016) runs phase
/// (4) alone over a shrinking list of unscanned columns with indexed loads; here phase (4) sweeps all
/// columns of one contiguous cost row with SIMD and masks settled columns through the potentials (see
/// <see cref="ReducedCostKernels.Relax"/>), so the inner loop is branch-free and streams memory. Each
/// scan reads one whole cost row, which makes large n memory-bound: float input is read as float.
/// </remarks>
internal static class JonkerVolgenant
{
    /// <summary>Cap on augmenting-row-reduction steps per pass, in units of n. ARR terminates in theory
    /// but on Gaussian L2 costs (D = 784, 3072) rows trade a column back and forth by tiny potential
    /// decrements and exhaust any cap; past it the rows left go to the exact augmentation, which is always
    /// correct. Measured on those matrices (docs/benchmarks/lap-vs-scipy.md): a cap of 1 n is 8-21% faster
    /// than no ARR at n = 2048 and 3-16% slower at n &lt;= 256; larger caps only add work.</summary>
    private const int ReductionStepsPerRow = 1;

    /// <summary>Solves the n x n problem given row-major finite float or double costs (read in place, widened
    /// to double per element). <paramref name="initialise"/> false skips phases (1)-(3), leaving pure
    /// shortest augmenting paths from v = 0 (an independent route to the optimum, used by tests).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static AssignmentSolution Solve<TCost>(ReadOnlySpan<TCost> c, int n, bool initialise = true)
        where TCost : unmanaged
    {
        var x = new int[n]; // column of each row, -1 if free
        var y = new int[n]; // row of each column, -1 if free
        var v = new double[n]; // column potentials
        Array.Fill(x, -1);
        Array.Fill(y, -1);
        var free = new int[n];
        int numFree;
        if (n == 1)
        {
            x[0] = 0;
            y[0] = 0;
            v[0] = Cost(c, 0);
            numFree = 0;
        }
        else if (initialise)
        {
            numFree = ColumnReductionAndTransfer(c, n, x, y, v, free);
            for (int pass = 0; pass < 2 && numFree > 0; pass++)
                numFree = AugmentingRowReduction(c, n, x, y, v, free, numFree);
        }
        else
        {
            for (int i = 0; i < n; i++) free[i] = i;
            numFree = n;
        }
        Augment(c, n, x, y, v, free, numFree);

        var u = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double cij = Cost(c, i * n + x[i]);
            u[i] = cij - v[x[i]];
            total += cij;
        }
        return new AssignmentSolution(x, u, v, total);
    }

    /// <summary>
    /// Phases (1) and (2). Column reduction: v[j] = min_i c[i, j], and column j goes to its arg-min row
    /// unless that row already holds a column with smaller v (columns visited last to first, as in the
    /// paper). Reduction transfer: a row that was the minimum of exactly one column lowers that column's
    /// potential by its second-best reduced cost, so other rows see that column as dearer. Returns the
    /// number of free rows written to <paramref name="free"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ColumnReductionAndTransfer<TCost>(ReadOnlySpan<TCost> c, int n, int[] x, int[] y, double[] v, int[] free)
        where TCost : unmanaged
    {
        var argRow = new double[n];
        Array.Fill(v, double.PositiveInfinity);
        // Row-major sweep (cache-friendly) instead of the paper's column-by-column scan; ties keep the
        // first row, like the paper's strict comparison.
        for (int i = 0; i < n; i++)
            ReducedCostKernels.ColumnMinSweep(c.Slice(i * n, n), v, argRow, i);

        var matches = new int[n];
        for (int j = n - 1; j >= 0; j--)
        {
            int i = (int)argRow[j];
            if (matches[i]++ == 0)
            {
                x[i] = j;
                y[j] = i;
            }
            else if (v[j] < v[x[i]])
            {
                y[x[i]] = -1;
                x[i] = j;
                y[j] = i;
            }
        }

        int numFree = 0;
        for (int i = 0; i < n; i++)
        {
            if (matches[i] == 0)
            {
                free[numFree++] = i;
            }
            else if (matches[i] == 1)
            {
                int j1 = x[i];
                double keep = v[j1];
                v[j1] = double.NegativeInfinity; // excludes j1 from the min: c - (-inf) = +inf
                double second = ReducedCostKernels.Min(c.Slice(i * n, n), v);
                v[j1] = keep - second;
            }
        }
        return numFree;
    }

    /// <summary>
    /// Phase (3), one pass. Each free row takes its cheapest reduced-cost column j1; if its second best
    /// (j2) is strictly dearer, v[j1] drops by the gap so the row stays on a minimum and the displaced owner
    /// is retried at once; on a tie the row takes j2 instead (when j1 is owned) and the displaced owner waits
    /// for the next pass. Returns the number of rows left free.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AugmentingRowReduction<TCost>(
        ReadOnlySpan<TCost> c, int n, int[] x, int[] y, double[] v, int[] free, int previousFree)
        where TCost : unmanaged
    {
        int k = 0;
        int numFree = 0;
        long steps = 0;
        long cap = (long)ReductionStepsPerRow * n;
        while (k < previousFree)
        {
            if (++steps > cap)
            {
                // Hand the unprocessed rows to the exact augmentation (numFree <= k always holds).
                while (k < previousFree) free[numFree++] = free[k++];
                break;
            }
            int i = free[k++];
            var row = c.Slice(i * n, n);
            ReducedCostKernels.TwoSmallest(row, v, out double umin, out int j1, out double usubmin, out int j2);
            int i0 = y[j1];
            if (umin < usubmin)
            {
                v[j1] -= usubmin - umin;
            }
            else if (i0 >= 0)
            {
                j1 = j2;
                i0 = y[j2];
            }
            x[i] = j1;
            y[j1] = i;
            if (i0 >= 0)
            {
                x[i0] = -1;
                if (umin < usubmin) free[--k] = i0; // retry the displaced row now: its best column just got dearer
                else free[numFree++] = i0;
            }
        }
        return numFree;
    }

    /// <summary>
    /// Phase (4): for each free row, Dijkstra over columns with labels d[j] (reduced path cost), settling
    /// the cheapest column each round until a free column is cheapest (ties prefer a free column, so a
    /// constant matrix needs a single row scan per path), then raise the settled columns' potentials by
    /// d[j] - mu (JV's dual update, which keeps every reduced cost non-negative) and flip the path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Augment<TCost>(ReadOnlySpan<TCost> c, int n, int[] x, int[] y, double[] v, int[] free, int numFree)
        where TCost : unmanaged
    {
        if (numFree == 0) return;
        var d = new double[n];
        var pred = new double[n]; // predecessor row as double so the SIMD select stays one width
        var vWork = (double[])v.Clone(); // v, but -inf on settled columns (masks them in Relax)
        var freePenalty = new double[n]; // 0 on free columns, +inf on assigned ones
        for (int j = 0; j < n; j++) freePenalty[j] = y[j] < 0 ? 0 : double.PositiveInfinity;
        var settled = new int[n];
        var settledD = new double[n];

        for (int f = 0; f < numFree; f++)
        {
            int start = free[f];
            Array.Fill(d, double.PositiveInfinity);
            ReducedCostKernels.Relax(c.Slice(start * n, n), vWork, d, pred, freePenalty, 0, start, out double mu, out double muFree);
            int count = 0;
            while (muFree > mu)
            {
                int j = ReducedCostKernels.IndexOf(d, mu);
                settled[count] = j;
                settledD[count++] = mu;
                d[j] = double.PositiveInfinity;
                vWork[j] = double.NegativeInfinity;
                int i = y[j];
                // Relax computes (c[i, k] - v[k]) - h = mu + (c[i, k] - v[k] - u_i) with u_i = c[i, j] - v[j]:
                // the label of column k through row i, whose own column j is its cheapest.
                double h = Cost(c, i * n + j) - v[j] - mu;
                ReducedCostKernels.Relax(c.Slice(i * n, n), vWork, d, pred, freePenalty, h, i, out mu, out muFree);
            }
            int end = ReducedCostKernels.IndexOfSum(d, freePenalty, muFree);
            for (int s = 0; s < count; s++)
            {
                int j = settled[s];
                v[j] += settledD[s] - muFree;
                vWork[j] = v[j];
            }
            freePenalty[end] = double.PositiveInfinity;
            int col = end;
            while (true)
            {
                int i = (int)pred[col];
                y[col] = i;
                (x[i], col) = (col, x[i]);
                if (i == start) break;
            }
        }
    }

    private static double Cost<TCost>(ReadOnlySpan<TCost> c, int k) where TCost : unmanaged =>
        ReducedCostKernels.At(ref MemoryMarshal.GetReference(c), k);
}
