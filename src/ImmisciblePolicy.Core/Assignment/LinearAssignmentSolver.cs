using System.Numerics;
using System.Runtime.InteropServices;

namespace ImmisciblePolicy.Core.Assignment;

/// <summary>
/// Exact minimum-cost perfect matching on a dense n x n cost matrix, the solver behind Immiscible
/// Diffusion's batch noise assignment (Li et al. 2024 use scipy.optimize.linear_sum_assignment on the
/// B x B sample-noise L2 distances). Implemented with Jonker-Volgenant (see <see cref="JonkerVolgenant"/>);
/// single-threaded, pure C#, no allocation inside the O(n) inner loops.
/// </summary>
public static class LinearAssignmentSolver
{
    /// <summary>Returns colForRow (length n), a permutation minimising sum_i cost[i, colForRow[i]].</summary>
    /// <param name="cost">row-major n x n costs; finite (negative values are fine).</param>
    /// <param name="n">number of rows and columns; 0 gives an empty assignment.</param>
    public static int[] Solve(ReadOnlySpan<double> cost, int n) => SolveWithDuals(cost, n).ColForRow;

    /// <summary>Float overload of <see cref="Solve(ReadOnlySpan{double}, int)"/>; costs are widened to
    /// double as they are read, so the result is the exact optimum of the float matrix.</summary>
    public static int[] Solve(ReadOnlySpan<float> cost, int n) => SolveWithDuals(cost, n).ColForRow;

    /// <summary>Optimal assignment plus the dual potentials that certify its optimality.</summary>
    /// <param name="cost">row-major n x n costs; finite.</param>
    /// <param name="n">number of rows and columns.</param>
    public static AssignmentSolution SolveWithDuals(ReadOnlySpan<double> cost, int n)
    {
        CheckShape(cost.Length, n);
        CheckFinite(cost, n);
        return JonkerVolgenant.Solve(cost, n);
    }

    /// <summary>Float overload of <see cref="SolveWithDuals(ReadOnlySpan{double}, int)"/>. The matrix is read
    /// in place (no copy) and each float is widened to double exactly, so the result equals the double solve
    /// of the widened matrix bit for bit, while the solver streams half the bytes.</summary>
    public static AssignmentSolution SolveWithDuals(ReadOnlySpan<float> cost, int n)
    {
        CheckShape(cost.Length, n);
        CheckFinite(cost, n);
        return JonkerVolgenant.Solve(cost, n);
    }

    private static void CheckShape(int length, int n)
    {
        if (n < 0)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be >= 0; received {n}.");
        long expected = (long)n * n;
        if (length != expected)
            throw new ArgumentException(
                $"cost must hold n * n = {expected} values (row-major {n} x {n}); received {length}.", "cost");
    }

    /// <summary>Rejects NaN and +-inf: they have no place in an assignment cost and would poison the
    /// potentials. x - x is 0 for every finite x and NaN otherwise, so one vector compare covers both.</summary>
    private static void CheckFinite<T>(ReadOnlySpan<T> cost, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        ref T r = ref MemoryMarshal.GetReference(cost);
        int k = 0;
        for (; k <= cost.Length - w; k += w)
        {
            var x = Vector.LoadUnsafe(ref r, (nuint)k);
            if (!Vector.EqualsAll(x - x, Vector<T>.Zero)) break; // report from the scalar loop below
        }
        for (; k < cost.Length; k++)
        {
            if (!T.IsFinite(cost[k]))
                throw new ArgumentException(
                    $"cost must be finite; received {cost[k]} at [{k / n}, {k % n}] (row, column).", "cost");
        }
    }
}
