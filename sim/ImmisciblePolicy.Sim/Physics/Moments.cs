using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// Chipmunk's polygon helpers from src/chipmunk.c: cpMomentForPoly, cpCentroidForPoly and the in-place
/// QuickHull cpConvexHull (tolerance 0), with the same loop and operation order.
/// </summary>
internal static class Moments
{
    /// <summary>
    /// cpMomentForPoly(m, count, verts, offset, r): the moment of a uniform polygon about the body origin
    /// (radius ignored, as in Chipmunk). pymunk's moment_for_poly(mass, vertices) passes offset (0, 0), r 0.
    /// </summary>
    public static double MomentForPoly(double m, IReadOnlyList<Vec2> verts, Vec2 offset)
    {
        int count = verts.Count;
        if (count == 2)
        {
            throw new NotSupportedException("cpMomentForSegment is not needed by Push-T.");
        }

        double sum1 = 0, sum2 = 0;
        for (int i = 0; i < count; i++)
        {
            Vec2 v1 = verts[i] + offset;
            Vec2 v2 = verts[(i + 1) % count] + offset;
            double a = Vec2.Cross(v2, v1);
            double b = Vec2.Dot(v1, v1) + Vec2.Dot(v1, v2) + Vec2.Dot(v2, v2);
            sum1 += a * b;
            sum2 += a;
        }

        return m * sum1 / (6.0 * sum2);
    }

    /// <summary>cpCentroidForPoly: sum((v1 + v2) cross(v1, v2)) / (3 sum(cross(v1, v2))).</summary>
    public static Vec2 CentroidForPoly(IReadOnlyList<Vec2> verts)
    {
        int count = verts.Count;
        double sum = 0;
        Vec2 vsum = Vec2.Zero;
        for (int i = 0; i < count; i++)
        {
            Vec2 v1 = verts[i];
            Vec2 v2 = verts[(i + 1) % count];
            double cross = Vec2.Cross(v1, v2);
            sum += cross;
            vsum += (v1 + v2) * cross;
        }

        return vsum * (1.0 / (3.0 * sum));
    }

    /// <summary>cpConvexHull(count, verts, verts, NULL, 0): the hull, reduced in place as Chipmunk does.</summary>
    public static Vec2[] ConvexHull(Vec2[] verts)
    {
        var result = (Vec2[])verts.Clone();
        int count = result.Length;
        LoopIndexes(result, out int start, out int end);
        if (start == end)
        {
            return [result[0]];
        }

        Swap(result, 0, start);
        Swap(result, 1, end == 0 ? start : end);
        Vec2 a = result[0];
        Vec2 b = result[1];
        int hullCount = Reduce(result, 2, count - 2, a, b, a, 1) + 1;
        return result[..hullCount];
    }

    /// <summary>cpLoopIndexes: indexes of the lexicographically smallest and largest vertices.</summary>
    private static void LoopIndexes(Vec2[] verts, out int start, out int end)
    {
        start = end = 0;
        Vec2 min = verts[0];
        Vec2 max = min;
        for (int i = 1; i < verts.Length; i++)
        {
            Vec2 v = verts[i];
            if (v.X < min.X || (v.X == min.X && v.Y < min.Y))
            {
                min = v;
                start = i;
            }
            else if (v.X > max.X || (v.X == max.X && v.Y > max.Y))
            {
                max = v;
                end = i;
            }
        }
    }

    /// <summary>QHullPartition on buf[offset .. offset + count): points left of (a, b) first, the farthest at the front.</summary>
    private static int Partition(Vec2[] buf, int offset, int count, Vec2 a, Vec2 b)
    {
        if (count == 0)
        {
            return 0;
        }

        double max = 0;
        int pivot = 0;
        Vec2 delta = b - a;
        double valueTol = 0.0 * CpMath.Length(delta);
        int head = 0;
        for (int tail = count - 1; head <= tail;)
        {
            double value = Vec2.Cross(buf[offset + head] - a, delta);
            if (value > valueTol)
            {
                if (value > max)
                {
                    max = value;
                    pivot = head;
                }

                head++;
            }
            else
            {
                Swap(buf, offset + head, offset + tail);
                tail--;
            }
        }

        if (pivot != 0)
        {
            Swap(buf, offset, offset + pivot);
        }

        return head;
    }

    /// <summary>QHullReduce: the scratch points at buf[verts ..] and the output at buf[result ..] share one array.</summary>
    private static int Reduce(Vec2[] buf, int verts, int count, Vec2 a, Vec2 pivot, Vec2 b, int result)
    {
        if (count < 0)
        {
            return 0;
        }

        if (count == 0)
        {
            buf[result] = pivot;
            return 1;
        }

        int leftCount = Partition(buf, verts, count, a, pivot);
        int index = Reduce(buf, verts + 1, leftCount - 1, a, buf[verts], pivot, result);
        buf[result + index++] = pivot;
        int rightCount = Partition(buf, verts + leftCount, count - leftCount, pivot, b);
        // C reads verts[left_count] even when the right side is empty (one past the points, unused); skip that read.
        Vec2 rightPivot = rightCount > 0 ? buf[verts + leftCount] : default;
        return index + Reduce(buf, verts + leftCount + 1, rightCount - 1, pivot, rightPivot, b, result + index);
    }

    private static void Swap(Vec2[] buf, int i, int j) => (buf[i], buf[j]) = (buf[j], buf[i]);
}
