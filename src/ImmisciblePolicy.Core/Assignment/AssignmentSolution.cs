namespace ImmisciblePolicy.Core.Assignment;

/// <summary>
/// An optimal assignment together with the dual potentials that certify it (LP duality for the assignment
/// problem): <c>U[i] + V[j] &lt;= cost[i, j]</c> for every pair (dual feasibility) and equality on every
/// assigned pair <c>(i, ColForRow[i])</c> (complementary slackness). Both hold up to floating-point rounding
/// of the potentials, so <see cref="TotalCost"/> equals <c>sum(U) + sum(V)</c> up to that rounding.
/// </summary>
/// <param name="ColForRow">column assigned to each row; a permutation of 0..n-1 (length n).</param>
/// <param name="U">row potentials (length n).</param>
/// <param name="V">column potentials (length n).</param>
/// <param name="TotalCost">sum over rows of cost[i, ColForRow[i]], accumulated in double.</param>
public sealed record AssignmentSolution(int[] ColForRow, double[] U, double[] V, double TotalCost);
