using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImmisciblePolicy.Core.Assignment;

/// <summary>
/// SIMD scans over one cost row and the column potentials, the O(n) inner loops of
/// <see cref="JonkerVolgenant"/>. Every reduced cost is computed as <c>(row[j] - v[j]) - h</c> in exactly
/// this order in both the vector body and the scalar tail, so results do not depend on the SIMD width.
/// <c>MinNative</c> is safe because the public entry points reject NaN.
/// </summary>
internal static class ReducedCostKernels
{
    /// <summary>
    /// The two smallest <c>row[j] - v[j]</c> in one pass, ordered by (value, index): <paramref name="j1"/> is
    /// the first column attaining the minimum <paramref name="min1"/>, and (<paramref name="min2"/>,
    /// <paramref name="j2"/>) the next pair, so <c>min2 == min1</c> when the minimum is attained twice.
    /// Requires at least two columns. Each SIMD lane keeps its own best two; the lanes are merged at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TwoSmallest(
        ReadOnlySpan<double> row, ReadOnlySpan<double> v, out double min1, out int j1, out double min2, out int j2)
    {
        int n = row.Length;
        ref double r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        double a = double.PositiveInfinity, b = double.PositiveInfinity;
        int ia = -1, ib = -1;
        int j = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<double>.Count)
        {
            var m1 = Vector512.Create(double.PositiveInfinity);
            var m2 = m1;
            var i1 = Vector512.Create(-1.0);
            var i2 = i1;
            var idx = Vector512.Create(0.0, 1, 2, 3, 4, 5, 6, 7); // column index of each lane, as double
            var step = Vector512.Create((double)Vector512<double>.Count);
            for (; j <= n - Vector512<double>.Count; j += Vector512<double>.Count)
            {
                var x = Vector512.LoadUnsafe(ref r, (nuint)j) - Vector512.LoadUnsafe(ref vr, (nuint)j);
                var lt1 = Vector512.LessThan(x, m1);
                var lt2 = Vector512.LessThan(x, m2);
                m2 = Vector512.ConditionalSelect(lt1, m1, Vector512.ConditionalSelect(lt2, x, m2));
                i2 = Vector512.ConditionalSelect(lt1, i1, Vector512.ConditionalSelect(lt2, idx, i2));
                m1 = Vector512.ConditionalSelect(lt1, x, m1);
                i1 = Vector512.ConditionalSelect(lt1, idx, i1);
                idx += step;
            }
            // Spill the lanes once: indexing a vector register lane by lane is slow.
            Span<double> lanes = stackalloc double[4 * Vector512<double>.Count];
            m1.StoreUnsafe(ref lanes[0]);
            i1.StoreUnsafe(ref lanes[Vector512<double>.Count]);
            m2.StoreUnsafe(ref lanes[2 * Vector512<double>.Count]);
            i2.StoreUnsafe(ref lanes[3 * Vector512<double>.Count]);
            for (int l = 0; l < Vector512<double>.Count; l++)
            {
                Push(lanes[l], (int)lanes[Vector512<double>.Count + l], ref a, ref ia, ref b, ref ib);
                Push(lanes[2 * Vector512<double>.Count + l], (int)lanes[3 * Vector512<double>.Count + l], ref a, ref ia, ref b, ref ib);
            }
        }
        else if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            int w = Vector<double>.Count;
            var m1 = new Vector<double>(double.PositiveInfinity);
            var m2 = m1;
            var i1 = new Vector<double>(-1.0);
            var i2 = i1;
            Span<double> lanes = stackalloc double[w];
            for (int l = 0; l < w; l++) lanes[l] = l;
            var idx = new Vector<double>(lanes);
            var step = new Vector<double>(w);
            for (; j <= n - w; j += w)
            {
                var x = Vector.LoadUnsafe(ref r, (nuint)j) - Vector.LoadUnsafe(ref vr, (nuint)j);
                var lt1 = Vector.LessThan(x, m1);
                var lt2 = Vector.LessThan(x, m2);
                m2 = Vector.ConditionalSelect(lt1, m1, Vector.ConditionalSelect(lt2, x, m2));
                i2 = Vector.ConditionalSelect(lt1, i1, Vector.ConditionalSelect(lt2, idx, i2));
                m1 = Vector.ConditionalSelect(lt1, x, m1);
                i1 = Vector.ConditionalSelect(lt1, idx, i1);
                idx += step;
            }
            Span<double> spill = stackalloc double[4 * w];
            m1.CopyTo(spill);
            i1.CopyTo(spill[w..]);
            m2.CopyTo(spill[(2 * w)..]);
            i2.CopyTo(spill[(3 * w)..]);
            for (int l = 0; l < w; l++)
            {
                Push(spill[l], (int)spill[w + l], ref a, ref ia, ref b, ref ib);
                Push(spill[2 * w + l], (int)spill[3 * w + l], ref a, ref ia, ref b, ref ib);
            }
        }
        for (; j < n; j++) Push(Unsafe.Add(ref r, j) - Unsafe.Add(ref vr, j), j, ref a, ref ia, ref b, ref ib);
        min1 = a;
        j1 = ia;
        min2 = b;
        j2 = ib;

        static void Push(double x, int i, ref double a, ref int ia, ref double b, ref int ib)
        {
            if (i < 0) return; // an empty lane slot
            if (x < a || (x == a && i < ia))
            {
                b = a;
                ib = ia;
                a = x;
                ia = i;
            }
            else if (x < b || (x == b && i < ib))
            {
                b = x;
                ib = i;
            }
        }
    }

    /// <summary>Smallest <c>row[j] - v[j]</c> over all j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        double best = HorizontalMin(m);
        for (; j < n; j++) best = Math.Min(best, Unsafe.Add(ref r, j) - Unsafe.Add(ref vr, j));
        return best;
    }

    /// <summary>First j with <c>d[j] + penalty[j] == target</c>, or -1 (penalty 0 selects, +inf masks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                dj = Vector512.ConditionalSelect(less, cand, dj);
                dj.StoreUnsafe(ref dr, (nuint)j);
                Vector512.ConditionalSelect(less, id, Vector512.LoadUnsafe(ref pr, (nuint)j)).StoreUnsafe(ref pr, (nuint)j);
                mn = Vector512.MinNative(mn, dj);
                mf = Vector512.MinNative(mf, dj + Vector512.LoadUnsafe(ref fr, (nuint)j));
            }
            a = HorizontalMin(mn);
            b = HorizontalMin(mf);
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
                dj = Vector.ConditionalSelect(less, cand, dj);
                dj.StoreUnsafe(ref dr, (nuint)j);
                Vector.ConditionalSelect(less, id, Vector.LoadUnsafe(ref pr, (nuint)j)).StoreUnsafe(ref pr, (nuint)j);
                mn = Vector.MinNative(mn, dj);
                mf = Vector.MinNative(mf, dj + Vector.LoadUnsafe(ref fr, (nuint)j));
            }
            a = HorizontalMin(mn);
            b = HorizontalMin(mf);
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

    private static double HorizontalMin(Vector512<double> x)
    {
        var half = Vector256.MinNative(x.GetLower(), x.GetUpper());
        var quarter = Vector128.MinNative(half.GetLower(), half.GetUpper());
        return Math.Min(quarter.GetElement(0), quarter.GetElement(1));
    }

    private static double HorizontalMin(Vector<double> x)
    {
        Span<double> lanes = stackalloc double[Vector<double>.Count];
        x.CopyTo(lanes);
        double m = lanes[0];
        for (int l = 1; l < lanes.Length; l++) m = Math.Min(m, lanes[l]);
        return m;
    }
}
