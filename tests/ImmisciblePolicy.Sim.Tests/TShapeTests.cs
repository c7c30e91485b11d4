using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class TShapeTests
{
    private static readonly Pose2 Goal = new(256, 256, Math.PI / 4);

    [Fact]
    public void Area_IsBarPlusStem()
    {
        Assert.Equal((120 * 30) + (30 * 90), TShape.Area, 12);
    }

    [Fact]
    public void MomentOfInertia_MatchesAddTeeFormula()
    {
        // add_tee: moment_for_poly(1, bar) twice; a 120 x 30 box about a point 15 px from its centroid:
        // (w^2 + h^2) / 12 + d^2 = (14400 + 900) / 12 + 225 = 1500, twice = 3000.
        Assert.Equal(2 * (((120.0 * 120.0) + (30.0 * 30.0)) / 12.0 + (15.0 * 15.0)), TShape.MomentOfInertia, 9);
    }

    [Fact]
    public void Coverage_AtGoal_IsOne()
    {
        Assert.Equal(1.0, TShape.Coverage(Goal, Goal), 12);
    }

    [Fact]
    public void Coverage_FarAway_IsZero()
    {
        Assert.Equal(0.0, TShape.Coverage(new Pose2(60, 60, 1.0), Goal));
    }

    [Fact]
    public void Coverage_ShiftedAlongX_MatchesHandComputedArea()
    {
        // Angle 0, shift 15 px along x: bar/bar overlap (120 - 15) x 30, stem/stem (30 - 15) x 90,
        // the cross pairs only touch along y = 30 (zero area).
        var a = new Pose2(200, 200, 0);
        var b = new Pose2(215, 200, 0);
        double expected = ((105.0 * 30.0) + (15.0 * 90.0)) / 6300.0;
        Assert.Equal(expected, TShape.Coverage(b, a), 9);
    }

    [Fact]
    public void Coverage_ShiftedAtGoalAngle_MatchesHandComputedArea()
    {
        // Shift the goal T by 15 px along world x. In body coordinates the shift is
        // d = R(-pi/4) (15, 0) = (u, -u) with u = 15 / sqrt(2): the moved bar overlaps the bar in
        // (120 - u) x (30 - u), the moved stem overlaps the stem in (30 - u) x (90 - u) and the bar in
        // a 30 - (30 - u) = u tall, 30 wide strip (x in [-15 + u, 15 + u] stays inside the bar);
        // the moved bar misses the stem (its y range ends at 30 - u < 30).
        double u = 15 / Math.Sqrt(2);
        double expected = (((120 - u) * (30 - u)) + ((30 - u) * (90 - u)) + (30 * u)) / 6300.0;
        var shifted = new Pose2(Goal.X + 15, Goal.Y, Goal.Angle);
        Assert.Equal(expected, TShape.Coverage(shifted, Goal), 9);
    }

    [Fact]
    public void IntersectionArea_IsSymmetric_AndBoundedByArea()
    {
        var rng = new System.Random(5);
        for (int i = 0; i < 200; i++)
        {
            var a = new Pose2(200 + (rng.NextDouble() * 100), 200 + (rng.NextDouble() * 100), rng.NextDouble() * 7);
            var b = new Pose2(200 + (rng.NextDouble() * 100), 200 + (rng.NextDouble() * 100), rng.NextDouble() * 7);
            double ab = TShape.IntersectionArea(a, b);
            Assert.Equal(ab, TShape.IntersectionArea(b, a), 6);
            Assert.InRange(ab, 0, TShape.Area + 1e-9);
        }
    }

    [Fact]
    public void ConvexIntersection_OfSquares_IsOverlapRectangle()
    {
        var s = new ConvexPolygon([new Vec2(0, 0), new Vec2(10, 0), new Vec2(10, 10), new Vec2(0, 10)]);
        // Clockwise input must be accepted and reoriented.
        var t = new ConvexPolygon([new Vec2(4, 3), new Vec2(4, 13), new Vec2(14, 13), new Vec2(14, 3)]);
        Assert.Equal(6 * 7, ConvexPolygon.IntersectionArea(s, t), 12);
        Assert.Equal(6 * 7, ConvexPolygon.IntersectionArea(t, s), 12);
    }

    [Fact]
    public void Keypoints_AreNineDistinctPointsInsideTheT()
    {
        Assert.Equal(TKeypoints.Count, TKeypoints.Local.Count);
        Assert.Equal(TKeypoints.Count, TKeypoints.Local.Distinct().Count());
        foreach (var p in TKeypoints.Local)
        {
            bool inBar = Math.Abs(p.X) < 60 && p.Y > 0 && p.Y < 30;
            bool inStem = Math.Abs(p.X) < 15 && p.Y >= 30 && p.Y < 120;
            Assert.True(inBar || inStem, $"keypoint {p} outside the T");
        }
    }
}
