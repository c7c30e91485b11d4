using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImmisciblePolicy.Core.Assignment;

/// <summary>
/// SIMD scans over one cost row and the column potentials, the O(n) inner loops of
/// <see cref="JonkerVolgenant"/>. The cost row is float or double (<typeparamref name="TCost"/> of each
/// method); floats are widened to double lane by lane, which is exact, so a float matrix is solved exactly
/// as its widened copy would be while reading half the bytes and allocating nothing.
/// </summary>
/// <remarks>
/// Every reduced cost is computed as <c>(row[j] - v[j]) - h</c> in this order in the 8-lane (AVX-512),
/// 4-lane (AVX2) and scalar code, so results do not depend on the SIMD width. <c>MinNative</c> is safe
/// because the public entry points reject NaN. Potentials, labels and predecessors are always double.
/// </remarks>
internal static class ReducedCostKernels
{
    /// <summary>8 double lanes per step (AVX-512). .NET keeps <c>Vector&lt;T&gt;</c> at 256 bits by default,
    /// so the wide path is explicit.</summary>
    private static bool Use512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>4 double lanes per step (AVX2 or any accelerated 256-bit vectors).</summary>
    private static bool Use256 => Vector256.IsHardwareAccelerated;

    /// <summary>
    /// The two smallest <c>row[j] - v[j]</c> in one pass, ordered by (value, index): <paramref name="j1"/> is
    /// the first column attaining the minimum <paramref name="min1"/>, and (<paramref name="min2"/>,
    /// <paramref name="j2"/>) the next pair, so <c>min2 == min1</c> when the minimum is attained twice.
    /// Requires at least two columns. Each SIMD lane keeps its own best two; the lanes are merged at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TwoSmallest<TCost>(
        ReadOnlySpan<TCost> row, ReadOnlySpan<double> v, out double min1, out int j1, out double min2, out int j2)
        where TCost : unmanaged
    {
        int n = row.Length;
        ref TCost r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        double a = double.PositiveInfinity, b = double.PositiveInfinity;
        int ia = -1, ib = -1;
        int j = 0;
        Span<double> lanes = stackalloc double[32]; // spill (m1, i1, m2, i2): lane-by-lane register reads are slow
        int w = 0;
        if (Use512 && n >= 8)
        {
            w = 8;
            var m1 = Vector512.Create(double.PositiveInfinity);
            var m2 = m1;
            var i1 = Vector512.Create(-1.0);
            var i2 = i1;
            var idx = Vector512.Create(0.0, 1, 2, 3, 4, 5, 6, 7); // column index of each lane, as double
            var step = Vector512.Create(8.0);
            for (; j <= n - 8; j += 8)
            {
                var x = Load8(ref r, j) - Vector512.LoadUnsafe(ref vr, (nuint)j);
                var lt1 = Vector512.LessThan(x, m1);
                var lt2 = Vector512.LessThan(x, m2);
                m2 = Vector512.ConditionalSelect(lt1, m1, Vector512.ConditionalSelect(lt2, x, m2));
                i2 = Vector512.ConditionalSelect(lt1, i1, Vector512.ConditionalSelect(lt2, idx, i2));
                m1 = Vector512.ConditionalSelect(lt1, x, m1);
                i1 = Vector512.ConditionalSelect(lt1, idx, i1);
                idx += step;
            }
            m1.StoreUnsafe(ref lanes[0]);
            i1.StoreUnsafe(ref lanes[8]);
            m2.StoreUnsafe(ref lanes[16]);
            i2.StoreUnsafe(ref lanes[24]);
        }
        else if (Use256 && n >= 4)
        {
            w = 4;
            var m1 = Vector256.Create(double.PositiveInfinity);
            var m2 = m1;
            var i1 = Vector256.Create(-1.0);
            var i2 = i1;
            var idx = Vector256.Create(0.0, 1, 2, 3);
            var step = Vector256.Create(4.0);
            for (; j <= n - 4; j += 4)
            {
                var x = Load4(ref r, j) - Vector256.LoadUnsafe(ref vr, (nuint)j);
                var lt1 = Vector256.LessThan(x, m1);
                var lt2 = Vector256.LessThan(x, m2);
                m2 = Vector256.ConditionalSelect(lt1, m1, Vector256.ConditionalSelect(lt2, x, m2));
                i2 = Vector256.ConditionalSelect(lt1, i1, Vector256.ConditionalSelect(lt2, idx, i2));
                m1 = Vector256.ConditionalSelect(lt1, x, m1);
                i1 = Vector256.ConditionalSelect(lt1, idx, i1);
                idx += step;
            }
            m1.StoreUnsafe(ref lanes[0]);
            i1.StoreUnsafe(ref lanes[4]);
            m2.StoreUnsafe(ref lanes[8]);
            i2.StoreUnsafe(ref lanes[12]);
        }
        for (int l = 0; l < w; l++)
        {
            Push(lanes[l], (int)lanes[w + l], ref a, ref ia, ref b, ref ib);
            Push(lanes[2 * w + l], (int)lanes[3 * w + l], ref a, ref ia, ref b, ref ib);
        }
        for (; j < n; j++) Push(At(ref r, j) - Unsafe.Add(ref vr, j), j, ref a, ref ia, ref b, ref ib);
        min1 = a;
        j1 = ia;
        min2 = b;
        j2 = ib;

        static void Push(double x, int i, ref double a, ref int ia, ref double b, ref int ib)
        {
            if (i < 0) return; // a lane slot that never received a column
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
    public static double Min<TCost>(ReadOnlySpan<TCost> row, ReadOnlySpan<double> v) where TCost : unmanaged
    {
        int n = row.Length;
        ref TCost r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        double best = double.PositiveInfinity;
        int j = 0;
        if (Use512)
        {
            var m = Vector512.Create(double.PositiveInfinity);
            for (; j <= n - 8; j += 8) m = Vector512.MinNative(m, Load8(ref r, j) - Vector512.LoadUnsafe(ref vr, (nuint)j));
            best = HorizontalMin(m);
        }
        else if (Use256)
        {
            var m = Vector256.Create(double.PositiveInfinity);
            for (; j <= n - 4; j += 4) m = Vector256.MinNative(m, Load4(ref r, j) - Vector256.LoadUnsafe(ref vr, (nuint)j));
            best = HorizontalMin(m);
        }
        for (; j < n; j++) best = Math.Min(best, At(ref r, j) - Unsafe.Add(ref vr, j));
        return best;
    }

    /// <summary>
    /// Column-minimum sweep for one row: <c>colMin[j] = min(colMin[j], row[j])</c>, recording
    /// <paramref name="rowId"/> in <paramref name="argRow"/> where the row is strictly smaller (so the
    /// first row attaining a column's minimum wins, as in JV's column reduction).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ColumnMinSweep<TCost>(ReadOnlySpan<TCost> row, Span<double> colMin, Span<double> argRow, double rowId)
        where TCost : unmanaged
    {
        int n = row.Length;
        ref TCost r = ref MemoryMarshal.GetReference(row);
        ref double mr = ref MemoryMarshal.GetReference(colMin);
        ref double ar = ref MemoryMarshal.GetReference(argRow);
        int j = 0;
        if (Use512)
        {
            var id = Vector512.Create(rowId);
            for (; j <= n - 8; j += 8)
            {
                var x = Load8(ref r, j);
                var m = Vector512.LoadUnsafe(ref mr, (nuint)j);
                var less = Vector512.LessThan(x, m);
                Vector512.ConditionalSelect(less, x, m).StoreUnsafe(ref mr, (nuint)j);
                Vector512.ConditionalSelect(less, id, Vector512.LoadUnsafe(ref ar, (nuint)j)).StoreUnsafe(ref ar, (nuint)j);
            }
        }
        else if (Use256)
        {
            var id = Vector256.Create(rowId);
            for (; j <= n - 4; j += 4)
            {
                var x = Load4(ref r, j);
                var m = Vector256.LoadUnsafe(ref mr, (nuint)j);
                var less = Vector256.LessThan(x, m);
                Vector256.ConditionalSelect(less, x, m).StoreUnsafe(ref mr, (nuint)j);
                Vector256.ConditionalSelect(less, id, Vector256.LoadUnsafe(ref ar, (nuint)j)).StoreUnsafe(ref ar, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            double x = At(ref r, j);
            if (x < Unsafe.Add(ref mr, j))
            {
                Unsafe.Add(ref mr, j) = x;
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
    public static void Relax<TCost>(
        ReadOnlySpan<TCost> row, ReadOnlySpan<double> v, Span<double> d, Span<double> pred,
        ReadOnlySpan<double> freePenalty, double h, double rowId, out double mu, out double muFree)
        where TCost : unmanaged
    {
        int n = row.Length;
        ref TCost r = ref MemoryMarshal.GetReference(row);
        ref double vr = ref MemoryMarshal.GetReference(v);
        ref double dr = ref MemoryMarshal.GetReference(d);
        ref double pr = ref MemoryMarshal.GetReference(pred);
        ref double fr = ref MemoryMarshal.GetReference(freePenalty);
        double a = double.PositiveInfinity, b = double.PositiveInfinity;
        int j = 0;
        if (Use512)
        {
            var hv = Vector512.Create(h);
            var id = Vector512.Create(rowId);
            var mn = Vector512.Create(double.PositiveInfinity);
            var mf = mn;
            for (; j <= n - 8; j += 8)
            {
                var cand = Load8(ref r, j) - Vector512.LoadUnsafe(ref vr, (nuint)j) - hv;
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
        else if (Use256)
        {
            var hv = Vector256.Create(h);
            var id = Vector256.Create(rowId);
            var mn = Vector256.Create(double.PositiveInfinity);
            var mf = mn;
            for (; j <= n - 4; j += 4)
            {
                var cand = Load4(ref r, j) - Vector256.LoadUnsafe(ref vr, (nuint)j) - hv;
                var dj = Vector256.LoadUnsafe(ref dr, (nuint)j);
                var less = Vector256.LessThan(cand, dj);
                dj = Vector256.ConditionalSelect(less, cand, dj);
                dj.StoreUnsafe(ref dr, (nuint)j);
                Vector256.ConditionalSelect(less, id, Vector256.LoadUnsafe(ref pr, (nuint)j)).StoreUnsafe(ref pr, (nuint)j);
                mn = Vector256.MinNative(mn, dj);
                mf = Vector256.MinNative(mf, dj + Vector256.LoadUnsafe(ref fr, (nuint)j));
            }
            a = HorizontalMin(mn);
            b = HorizontalMin(mf);
        }
        for (; j < n; j++)
        {
            double cand = At(ref r, j) - Unsafe.Add(ref vr, j) - h;
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

    /// <summary>First j with <c>d[j] == target</c>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int IndexOf(ReadOnlySpan<double> d, double target)
    {
        int n = d.Length;
        ref double dr = ref MemoryMarshal.GetReference(d);
        int j = 0;
        if (Use512)
        {
            var t = Vector512.Create(target);
            for (; j <= n - 8; j += 8)
            {
                ulong hits = Vector512.Equals(Vector512.LoadUnsafe(ref dr, (nuint)j), t).ExtractMostSignificantBits();
                if (hits != 0) return j + BitOperations.TrailingZeroCount(hits);
            }
        }
        else if (Use256)
        {
            var t = Vector256.Create(target);
            for (; j <= n - 4; j += 4)
            {
                uint hits = Vector256.Equals(Vector256.LoadUnsafe(ref dr, (nuint)j), t).ExtractMostSignificantBits();
                if (hits != 0) return j + BitOperations.TrailingZeroCount(hits);
            }
        }
        for (; j < n; j++)
            if (Unsafe.Add(ref dr, j) == target) return j;
        return -1;
    }

    /// <summary>First j with <c>d[j] + penalty[j] == target</c>, or -1 (penalty 0 selects, +inf masks).
    /// Runs once per augmenting path, so it stays scalar.</summary>
    public static int IndexOfSum(ReadOnlySpan<double> d, ReadOnlySpan<double> penalty, double target)
    {
        for (int j = 0; j < d.Length; j++)
            if (d[j] + penalty[j] == target) return j;
        return -1;
    }

    /// <summary>Cost entry j of a float or double row, widened to double (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double At<TCost>(ref TCost r, int j) where TCost : unmanaged =>
        typeof(TCost) == typeof(double)
            ? Unsafe.Add(ref Unsafe.As<TCost, double>(ref r), j)
            : Unsafe.Add(ref Unsafe.As<TCost, float>(ref r), j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Load8<TCost>(ref TCost r, int j) where TCost : unmanaged =>
        typeof(TCost) == typeof(double)
            ? Vector512.LoadUnsafe(ref Unsafe.As<TCost, double>(ref r), (nuint)j)
            : Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref Unsafe.As<TCost, float>(ref r), (nuint)j));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load4<TCost>(ref TCost r, int j) where TCost : unmanaged
    {
        if (typeof(TCost) == typeof(double))
            return Vector256.LoadUnsafe(ref Unsafe.As<TCost, double>(ref r), (nuint)j);
        var f = Vector128.LoadUnsafe(ref Unsafe.As<TCost, float>(ref r), (nuint)j);
        return Avx.IsSupported
            ? Avx.ConvertToVector256Double(f)
            : Vector256.Create(Vector128.WidenLower(f), Vector128.WidenUpper(f));
    }

    private static double HorizontalMin(Vector512<double> x) => HorizontalMin(Vector256.MinNative(x.GetLower(), x.GetUpper()));

    private static double HorizontalMin(Vector256<double> x)
    {
        var half = Vector128.MinNative(x.GetLower(), x.GetUpper());
        return Math.Min(half.GetElement(0), half.GetElement(1));
    }
}
