namespace ImmisciblePolicy.Sim.Geometry;

/// <summary>
/// The 8 corners of the T's two boxes in the order gym-pusht's environment state lists them
/// (gym_pusht/envs/pusht.py, PushTEnv.get_keypoints: for each shape of the block, bar then stem, every vertex of
/// <c>shape.get_vertices()</c> rotated by the body angle and offset by the body position). pymunk's Poly keeps the
/// vertices in the order Chipmunk's convex hull (cpPolyShapeInit -> cpConvexHull) leaves them: it starts at the
/// vertex of least x (then least y) and winds with increasing angle, so for add_tee's boxes
/// <code>
/// 0 (-60, 0)   1 (60, 0)    2 (60, 30)    3 (-60, 30)      bar, given as (-60,30) (60,30) (60,0) (-60,0)
/// 4 (-15, 30)  5 (15, 30)   6 (15, 120)   7 (-15, 120)     stem, given as (-15,30) (-15,120) (15,120) (15,30)
/// </code>
/// which is get_keypoints' docstring diagram (0-1 the bar's outer edge, 2-3 its inner edge, 6-7 the stem's end).
/// The order was checked against libchipmunk 7.0.3 itself (tests/ImmisciblePolicy.Sim.Tests, TBoxCornersTests).
/// </summary>
public static class TBoxCorners
{
    /// <summary>Number of corners (2 boxes x 4).</summary>
    public const int Count = 8;

    /// <summary>Corners in body coordinates, in get_keypoints' order.</summary>
    public static IReadOnlyList<Vec2> Local { get; } =
    [
        new(-TShape.BarHalfWidth, 0), new(TShape.BarHalfWidth, 0), new(TShape.BarHalfWidth, TShape.Thickness), new(-TShape.BarHalfWidth, TShape.Thickness),
        new(-TShape.Thickness / 2, TShape.Thickness), new(TShape.Thickness / 2, TShape.Thickness),
        new(TShape.Thickness / 2, TShape.StemEnd), new(-TShape.Thickness / 2, TShape.StemEnd),
    ];

    /// <summary>World positions for a block at <paramref name="pose"/> (v.rotated(angle) + position, as pymunk).</summary>
    public static Vec2[] World(Pose2 pose)
    {
        var result = new Vec2[Count];
        for (int i = 0; i < Count; i++)
        {
            result[i] = pose.LocalToWorld(Local[i]);
        }

        return result;
    }
}
