namespace ImmisciblePolicy.Sim.Geometry;

/// <summary>
/// The 9 block keypoints of the keypoint observation (diffusion_policy
/// env/pusht/pymunk_keypoint_manager.py, PymunkKeypointManager.create_from_pusht_env with
/// n_block_kps = 9): farthest-point sampling over the T's pixels in body coordinates.
/// The reference starts from a random pixel (numpy default_rng(0)) of a pygame rasterisation
/// and adds a uniform [0, 1) shift; that exact set cannot be reproduced without pygame, so we
/// sample deterministically over the pixel centres of the T, starting at the one nearest the
/// body origin. The points play the same role (9 spread-out points rigidly attached to the T).
/// </summary>
public static class TKeypoints
{
    /// <summary>Number of block keypoints (n_block_kps = 9 in the reference).</summary>
    public const int Count = 9;

    /// <summary>Keypoints in body coordinates, computed once.</summary>
    public static IReadOnlyList<Vec2> Local { get; } = FarthestPointSample(PixelCentres(), Count);

    /// <summary>World positions of the keypoints for a block at <paramref name="pose"/>.</summary>
    public static Vec2[] World(Pose2 pose)
    {
        var result = new Vec2[Count];
        for (int i = 0; i < Count; i++)
        {
            result[i] = pose.LocalToWorld(Local[i]);
        }

        return result;
    }

    private static List<Vec2> PixelCentres()
    {
        var points = new List<Vec2>();
        for (int y = 0; y < (int)TShape.StemEnd; y++)
        {
            for (int x = -(int)TShape.BarHalfWidth; x < (int)TShape.BarHalfWidth; x++)
            {
                var p = new Vec2(x + 0.5, y + 0.5);
                bool inBar = p.Y < TShape.Thickness;
                bool inStem = Math.Abs(p.X) < TShape.Thickness / 2;
                if (inBar || inStem)
                {
                    points.Add(p);
                }
            }
        }

        return points;
    }

    private static Vec2[] FarthestPointSample(List<Vec2> points, int n)
    {
        var chosen = new Vec2[n];
        int start = 0;
        for (int i = 1; i < points.Count; i++)
        {
            if (points[i].LengthSquared < points[start].LengthSquared)
            {
                start = i;
            }
        }

        chosen[0] = points[start];
        var minDist = new double[points.Count];
        for (int i = 0; i < points.Count; i++)
        {
            minDist[i] = (points[i] - chosen[0]).LengthSquared;
        }

        for (int k = 1; k < n; k++)
        {
            int best = 0;
            for (int i = 1; i < points.Count; i++)
            {
                // Strict '>' keeps the first maximum, so the result is deterministic.
                if (minDist[i] > minDist[best])
                {
                    best = i;
                }
            }

            chosen[k] = points[best];
            for (int i = 0; i < points.Count; i++)
            {
                minDist[i] = Math.Min(minDist[i], (points[i] - chosen[k]).LengthSquared);
            }
        }

        return chosen;
    }
}
