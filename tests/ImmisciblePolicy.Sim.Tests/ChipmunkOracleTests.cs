using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.Physics;
using ImmisciblePolicy.Sim.Physics.Native;
using ImmisciblePolicy.Sim.PushT;
using Xunit.Abstractions;
using static ImmisciblePolicy.Sim.Physics.Native.ChipmunkNative;

namespace ImmisciblePolicy.Sim.Tests;

/// <summary>
/// The managed Chipmunk port against the engine it reproduces: Debian's libchipmunk7 (Chipmunk2D 7.0.3, the
/// release pymunk 6 builds gym-pusht's physics on), called through its exported C API. A missing library
/// FAILS with a message naming libchipmunk7 (tests/run installs it). The long measurement is
/// <c>immiscible bench physics</c> (docs/benchmarks/pusht-physics.md).
/// </summary>
public sealed class ChipmunkOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void NativeLibrary_IsChipmunk703_WithTheSpaceDefaultsThePortUses()
    {
        Assert.Equal("7.0.3", ChipmunkNative.Version());
        nint space = cpSpaceNew();
        try
        {
            var managed = new Space();
            Assert.Equal(10, cpSpaceGetIterations(space));
            Assert.Equal(managed.Iterations, cpSpaceGetIterations(space));
            // Bit-exact: slop is the float literal 0.1f, bias pow(1.0f - 0.1f, 60).
            Assert.Equal(BitConverter.DoubleToInt64Bits(cpSpaceGetCollisionSlop(space)), BitConverter.DoubleToInt64Bits(managed.CollisionSlop));
            Assert.Equal(BitConverter.DoubleToInt64Bits(cpSpaceGetCollisionBias(space)), BitConverter.DoubleToInt64Bits(managed.CollisionBias));
            Assert.Equal(3u, cpSpaceGetCollisionPersistence(space));
            Assert.Equal(managed.CollisionPersistence, cpSpaceGetCollisionPersistence(space));
            Assert.True(double.IsPositiveInfinity(cpSpaceGetSleepTimeThreshold(space)), "sleeping must be off, as the port assumes");
        }
        finally
        {
            cpSpaceFree(space);
        }
    }

    [Fact]
    public void MissingLibrary_FailsWithAMessageNamingTheDebianPackage()
    {
        var e = Assert.Throws<DllNotFoundException>(() => ChipmunkNative.EnsureAvailable("libchipmunk-absent.so.0"));
        Assert.Contains("libchipmunk7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TeeConstruction_MatchesPymunksCalls_HullOrderCentroidsAndMoment()
    {
        using var native = PushTNativeReference.Create(new Vec2(40, 470), new Vec2(300, 150), 0.3, legacyOrder: true, 0.01);
        var body = Body.NewDynamic(1, 1);
        var (barNative, stemNative) = native.TeeShapes;
        foreach (var (shape, verts) in new[] { (barNative, PushTWorld.BarVertices), (stemNative, PushTWorld.StemVertices) })
        {
            var managed = new PolyShape(body, verts);
            Assert.Equal(cpPolyShapeGetCount(shape), managed.Count);
            for (int i = 0; i < managed.Count; i++)
            {
                Assert.Equal(cpPolyShapeGetVert(shape, i).ToVec2(), managed.Vertices[i]);
            }

            Assert.Equal(cpShapeGetCenterOfGravity(shape).ToVec2(), managed.CenterOfGravity);
        }

        // add_tee: moment = 2 * moment_for_poly(1, bar) (both terms from the bar's vertices), cog = mean of centroids.
        Assert.Equal(cpBodyGetMoment(native.Block), 2 * Moments.MomentForPoly(1, PushTWorld.BarVertices, Vec2.Zero));
        Assert.Equal(3000, cpBodyGetMoment(native.Block), 9);
        Assert.Equal(TShape.CenterOfGravity, cpBodyGetCenterOfGravity(native.Block).ToVec2());
    }

    [Fact]
    public void ConvexHullCentroidAndMoment_MatchChipmunkBitForBit_OnRandomPointSets()
    {
        ChipmunkNative.EnsureAvailable();
        var rng = new System.Random(17);
        for (int trial = 0; trial < 300; trial++)
        {
            int count = rng.Next(3, 13);
            var points = new CpVect[count];
            for (int i = 0; i < count; i++)
            {
                // Integer grids give duplicates and collinear points, the hull's tie-breaking cases.
                points[i] = trial % 2 == 0
                    ? new CpVect(rng.Next(-3, 4), rng.Next(-3, 4))
                    : new CpVect((rng.NextDouble() - 0.5) * 200, (rng.NextDouble() - 0.5) * 200);
            }

            var result = new CpVect[count];
            int hullCount = cpConvexHull(count, points, result, 0, 0.0);
            var managed = Moments.ConvexHull([.. points.Select(p => p.ToVec2())]);
            Assert.Equal([.. result.Take(hullCount).Select(p => p.ToVec2())], managed);
            if (hullCount >= 3)
            {
                var hull = result.Take(hullCount).ToArray();
                Assert.Equal(cpCentroidForPoly(hullCount, hull).ToVec2(), Moments.CentroidForPoly(managed));
                var offset = new Vec2(rng.NextDouble() * 10, -rng.NextDouble() * 10);
                Assert.Equal(cpMomentForPoly(2.5, hullCount, hull, offset, 0), Moments.MomentForPoly(2.5, managed, offset));
            }
        }
    }

    [Fact]
    public void OneControlStep_MatchesLibchipmunk_FromAThousandRandomStates()
    {
        var report = PushTPhysicsParity.SingleSteps(cases: 1000, seed: 2026);
        output.WriteLine($"{report.Cases} cases, {report.Pushed} pushed the block, {report.Exact} bit-identical, max error {report.MaxError:G3}");
        Assert.True(report.Pushed > 300, $"only {report.Pushed} of {report.Cases} steps moved the block; the comparison would be weak");
        Assert.True(report.MaxError <= 1e-9, $"max state error {report.MaxError:G6} over {report.Cases} single steps");
    }

    [Fact]
    public void ExpertEpisodes_ReplayedOpenLoop_AgreeWithLibchipmunk()
    {
        int agreeing = 0;
        double maxError = 0;
        for (long seed = 100_000; seed < 100_020; seed++)
        {
            var env = new PushTEnv();
            env.Reset(seed);
            var episode = new PushTExpert().Run(env);
            var replay = PushTPhysicsParity.Replay(seed, episode.Actions);
            Assert.Equal(episode.Success, replay.SuccessManaged);
            Assert.Equal(episode.FinalScore, replay.CoverageManaged, 12);
            agreeing += replay.Agrees ? 1 : 0;
            maxError = Math.Max(maxError, replay.MaxError);
        }

        output.WriteLine($"20 expert episodes: {agreeing} agree, max state error {maxError:G3}");
        Assert.Equal(20, agreeing);
        Assert.True(maxError <= 1e-9, $"max state error {maxError:G6} over 20 replayed episodes");
    }
}
