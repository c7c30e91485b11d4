using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImmisciblePolicy.Core.Assignment;

/// <summary>
/// SIMD scans over one cost row and the column potentials, the O(n) inner loops of
/// <see cref="JonkerVolgenant"/>. Every reduced cost is computed as <c>(row[j] - v[j]) - h</c> in exactly
/// this order in both the vector body and the scalar tail, so a value found by a min-scan is found again,
/// bit for bit, by the matching index search.
/// </summary>
internal static class ReducedCostKernels
{
    /// <summary>Smallest and second smallest (as a multiset: equal when the minimum is attained twice) of
    /// <c>row[j] - v[j]</c>. Requires at least two columns.</summary>
    public static void TwoSmallest(ReadOnlySpan<double> row, ReadOnlySpan<double> v, out double min1, out double min2)
    {
        int n = row.Length;
        int w = Vector<double>.Count;
        ref double r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        var m1 = new Vector<double>(double.PositiveInfinity);
        var m2 = m1;
        int j = 0;
        for (; j <= n - w; j += w)
        {
            var x = Vector.LoadUnsafe(ref r, (nuint)j) - Vector.LoadUnsafe(ref vr, (nuint)j);
            m2 = Vector.MinNative(m2, Vector.MaxNative(m1, x)); // the larger of (old lane min, x) competes for second place
            m1 = Vector.MinNative(m1, x);
        }
        double a = double.PositiveInfinity, b = double.PositiveInfinity;
        for (int l = 0; l < w; l++)
        {
            Push(m1[l], ref a, ref b);
            Push(m2[l], ref a, ref b);
        }
        for (; j < n; j++) Push(Unsafe.Add(ref r, j) - Unsafe.Add(ref vr, j), ref a, ref b);
        min1 = a;
        min2 = b;

        static void Push(double x, ref double a, ref double b)
        {
            if (x < a) { b = a; a = x; }
            else if (x < b) b = x;
        }
    }

    /// <summary>Smallest <c>row[j] - v[j]</c> over all j.</summary>
    public static double Min(ReadOnlySpan<double> row, ReadOnlySpan<double> v)
    {
        int n = row.Length;
        int w = Vector<double>.Count;
        ref double r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        var m = new Vector<double>(double.PositiveInfinity);
        int j = 0;
        for (; j <= n - w; j += w)
            m = Vector.MinNative(m, Vector.LoadUnsafe(ref r, (nuint)j) - Vector.LoadUnsafe(ref vr, (nuint)j));
        double best = double.PositiveInfinity;
        for (int l = 0; l < w; l++) best = Math.Min(best, m[l]);
        for (; j < n; j++) best = Math.Min(best, Unsafe.Add(ref r, j) - Unsafe.Add(ref vr, j));
        return best;
    }

    /// <summary>First j != <paramref name="skip"/> with <c>row[j] - v[j] == target</c>, or -1.</summary>
    public static int IndexOfReduced(ReadOnlySpan<double> row, ReadOnlySpan<double> v, double target, int skip)
    {
        int n = row.Length;
        int w = Vector<double>.Count;
        ref double r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        var t = new Vector<double>(target);
        int j = 0;
        for (; j <= n - w; j += w)
        {
            if (!Vector.EqualsAny(Vector.LoadUnsafe(ref r, (nuint)j) - Vector.LoadUnsafe(ref vr, (nuint)j), t)) continue;
            for (int l = j; l < j + w; l++)
                if (l != skip && Unsafe.Add(ref r, l) - Unsafe.Add(ref vr, l) == target) return l;
        }
        for (; j < n; j++)
            if (j != skip && Unsafe.Add(ref r, j) - Unsafe.Add(ref vr, j) == target) return j;
        return -1;
    }

    /// <summary>First j with <c>d[j] + penalty[j] == target</c>, or -1 (penalty 0 selects, +inf masks).</summary>
    public static int IndexOfSum(ReadOnlySpan<double> d, ReadOnlySpan<double> penalty, double target)
    {
        int n = d.Length;
        int w = Vector<double>.Count;
        ref double dr = ref MemoryMarshal.GetReference(d);
        ref double pr = ref MemoryMarshal.GetReference(penalty);
        var t = new Vector<double>(target);
        int j = 0;
        for (; j <= n - w; j += w)
        {
            if (!Vector.EqualsAny(Vector.LoadUnsafe(ref dr, (nuint)j) + Vector.LoadUnsafe(ref pr, (nuint)j), t)) continue;
            for (int l = j; l < j + w; l++)
                if (Unsafe.Add(ref dr, l) + Unsafe.Add(ref pr, l) == target) return l;
        }
        for (; j < n; j++)
            if (Unsafe.Add(ref dr, j) + Unsafe.Add(ref pr, j) == target) return j;
        return -1;
    }

    /// <summary>First j with <c>d[j] == target</c>, or -1.</summary>
    public static int IndexOf(ReadOnlySpan<double> d, double target)
    {
        int n = d.Length;
        int w = Vector<double>.Count;
        ref double dr = ref MemoryMarshal.GetReference(d);
        var t = new Vector<double>(target);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var t8 = Vector512.Create(target);
            for (; j <= n - Vector512<double>.Count; j += Vector512<double>.Count)
            {
                ulong hits = Vector512.Equals(Vector512.LoadUnsafe(ref dr, (nuint)j), t8).ExtractMostSignificantBits();
                if (hits != 0) return j + BitOperations.TrailingZeroCount(hits);
            }
        }
        for (; j <= n - w; j += w)
        {
            if (!Vector.EqualsAny(Vector.LoadUnsafe(ref dr, (nuint)j), t)) continue;
            for (int l = j; l < j + w; l++)
                if (Unsafe.Add(ref dr, l) == target) return l;
        }
        for (; j < n; j++)
            if (Unsafe.Add(ref dr, j) == target) return j;
        return -1;
    }

    /// <summary>
    /// Column-minimum sweep for one row: <c>colMin[j] = min(colMin[j], row[j])</c>, recording
    /// <paramref name="rowId"/> in <paramref name="argRow"/> where the row is strictly smaller (so the
    /// first row attaining a column's minimum wins, as in JV's column reduction).
    /// </summary>
    public static void ColumnMinSweep(ReadOnlySpan<double> row, Span<double> colMin, Span<double> argRow, double rowId)
    {
        int n = row.Length;
        int w = Vector<double>.Count;
        ref double r = ref MemoryMarshal.GetReference(row);
        ref double mr = ref MemoryMarshal.GetReference(colMin);
        ref double ar = ref MemoryMarshal.GetReference(argRow);
        var id = new Vector<double>(rowId);
        int j = 0;
        for (; j <= n - w; j += w)
        {
            var x = Vector.LoadUnsafe(ref r, (nuint)j);
            var m = Vector.LoadUnsafe(ref mr, (nuint)j);
            var less = Vector.LessThan(x, m);
            if (Vector.EqualsAll(less, Vector<long>.Zero)) continue;
            Vector.ConditionalSelect(less, x, m).StoreUnsafe(ref mr, (nuint)j);
            Vector.ConditionalSelect(less, id, Vector.LoadUnsafe(ref ar, (nuint)j)).StoreUnsafe(ref ar, (nuint)j);
        }
        for (; j < n; j++)
        {
            if (Unsafe.Add(ref r, j) < Unsafe.Add(ref mr, j))
            {
                Unsafe.Add(ref mr, j) = Unsafe.Add(ref r, j);
                Unsafe.Add(ref ar, j) = rowId;
            }
        }
    }

    /// <summary>
    /// Dijkstra relaxation from one scanned row (the inner loop of the shortest augmenting path):
    /// <c>d[j] = min(d[j], (row[j] - v[j]) - h)</c>, recording <paramref name="rowId"/> as predecessor where
    /// it improves, then returns the smallest label <paramref name="mu"/> and the smallest label of a free
    /// column <paramref name="muFree"/> (<c>d[j] + freePenalty[j]</c>, penalty 0 for free and +inf for
    /// assigned columns). Columns already settled carry <c>v[j] = -inf</c> and <c>d[j] = +inf</c>, so their
    /// candidate is +inf: never an improvement, never a minimum, and no branch on a mask is needed.
    /// </summary>
    public static void Relax(
        ReadOnlySpan<double> row, ReadOnlySpan<double> v, Span<double> d, Span<double> pred,
        ReadOnlySpan<double> freePenalty, double h, double rowId, out double mu, out double muFree)
    {
        int n = row.Length;
        ref double r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        ref double dr = ref MemoryMarshal.GetReference(d);
        ref double pr = ref MemoryMarshal.GetReference(pred);
        ref double fr = ref MemoryMarshal.GetReference(freePenalty);
        double a = double.PositiveInfinity, b = double.PositiveInfinity;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // AVX-512: 8 lanes; Vector<double> stays 256-bit by default in .NET, so this path is explicit.
            var hv = Vector512.Create(h);
            var id = Vector512.Create(rowId);
            var mn = Vector512.Create(double.PositiveInfinity);
            var mf = mn;
            for (; j <= n - Vector512<double>.Count; j += Vector512<double>.Count)
            {
                var cand = Vector512.LoadUnsafe(ref r, (nuint)j) - Vector512.LoadUnsafe(ref vr, (nuint)j) - hv;
                var dj = Vector512.LoadUnsafe(ref dr, (nuint)j);
                var less = Vector512.LessThan(cand, dj);
                if (less.ExtractMostSignificantBits() != 0)
                {
                    dj = Vector512.ConditionalSelect(less, cand, dj);
                    dj.StoreUnsafe(ref dr, (nuint)j);
                    Vector512.ConditionalSelect(less, id, Vector512.LoadUnsafe(ref pr, (nuint)j)).StoreUnsafe(ref pr, (nuint)j);
                }
                mn = Vector512.MinNative(mn, dj);
                mf = Vector512.MinNative(mf, dj + Vector512.LoadUnsafe(ref fr, (nuint)j));
            }
            for (int l = 0; l < Vector512<double>.Count; l++)
            {
                a = Math.Min(a, mn[l]);
                b = Math.Min(b, mf[l]);
            }
        }
        else
        {
            int w = Vector<double>.Count;
            var hv = new Vector<double>(h);
            var id = new Vector<double>(rowId);
            var mn = new Vector<double>(double.PositiveInfinity);
            var mf = mn;
            for (; j <= n - w; j += w)
            {
                var cand = Vector.LoadUnsafe(ref r, (nuint)j) - Vector.LoadUnsafe(ref vr, (nuint)j) - hv;
                var dj = Vector.LoadUnsafe(ref dr, (nuint)j);
                var less = Vector.LessThan(cand, dj);
                if (!Vector.EqualsAll(less, Vector<long>.Zero))
                {
                    dj = Vector.ConditionalSelect(less, cand, dj);
                    dj.StoreUnsafe(ref dr, (nuint)j);
                    Vector.ConditionalSelect(less, id, Vector.LoadUnsafe(ref pr, (nuint)j)).StoreUnsafe(ref pr, (nuint)j);
                }
                mn = Vector.MinNative(mn, dj);
                mf = Vector.MinNative(mf, dj + Vector.LoadUnsafe(ref fr, (nuint)j));
            }
            for (int l = 0; l < w; l++)
            {
                a = Math.Min(a, mn[l]);
                b = Math.Min(b, mf[l]);
            }
        }
        for (; j < n; j++)
        {
            double cand = Unsafe.Add(ref r, j) - Unsafe.Add(ref vr, j) - h;
            ref double dj = ref Unsafe.Add(ref dr, j);
            if (cand < dj)
            {
                dj = cand;
                Unsafe.Add(ref pr, j) = rowId;
            }
            a = Math.Min(a, dj);
            b = Math.Min(b, dj + Unsafe.Add(ref fr, j));
        }
        mu = a;
        muFree = b;
    }
}
