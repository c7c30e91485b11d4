using System.Diagnostics;
using System.Globalization;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Sim.Tests;

/// <summary>The three Push-T observation layouts against values computed by hand (and Chipmunk itself for the corner order).</summary>
public sealed class ObservationLayoutTests
{
    // Block body origin at (200, 300) turned by a quarter turn: R(pi/2) (x, y) = (-y, x).
    private static PushTEnv At(PushTObservation layout)
    {
        var env = new PushTEnv(new PushTConfig(Observation: layout));
        env.ResetTo(new Vec2(40, 470), new Vec2(200, 300), Math.PI / 2);
        return env;
    }

    [Fact]
    public void StateLayout_IsAgentBlockOriginAndAngle()
    {
        var obs = At(PushTObservation.State).Observe();
        Assert.Equal([40, 470, 200, 300, Math.PI / 2], obs, new ToleranceComparer(1e-9));
    }

    [Fact]
    public void EnvironmentStateAgentPos_IsTheEightBoxCornersInGetKeypointsOrderThenTheAgent()
    {
        var env = At(PushTObservation.EnvironmentStateAgentPos);
        var obs = env.Observe();

        Assert.Equal(18, env.ObservationSize);
        // Corners (body frame, get_keypoints order) -> world = (200 - y, 300 + x) for the quarter turn.
        double[] expected =
        [
            200 - 0, 300 - 60,    // 0 (-60, 0)
            200 - 0, 300 + 60,    // 1 (60, 0)
            200 - 30, 300 + 60,   // 2 (60, 30)
            200 - 30, 300 - 60,   // 3 (-60, 30)
            200 - 30, 300 - 15,   // 4 (-15, 30)
            200 - 30, 300 + 15,   // 5 (15, 30)
            200 - 120, 300 + 15,  // 6 (15, 120)
            200 - 120, 300 - 15,  // 7 (-15, 120)
            40, 470,              // agent_pos
        ];
        Assert.Equal(expected, obs, new ToleranceComparer(1e-9));
    }

    [Fact]
    public void KeypointsLayout_StaysTheDefaultTwentyValues()
    {
        var env = At(PushTObservation.Keypoints);
        var obs = env.Observe();
        Assert.Equal(20, obs.Length);
        Vec2 first = TKeypoints.World(env.State.Block)[0];
        Assert.Equal(first.X, obs[0], 12);

    }

    [Theory]
    [InlineData(PushTObservation.State, 5)]
    [InlineData(PushTObservation.Keypoints, 20)]
    [InlineData(PushTObservation.EnvironmentStateAgentPos, 18)]
    public void SizeOf_MatchesTheObservation(PushTObservation layout, int size)
    {
        Assert.Equal(size, PushTEnv.SizeOf(layout));
        var env = new PushTEnv(new PushTConfig(Observation: layout));
        Assert.Equal(size, env.Reset(3).Length);
    }

    [Fact]
    public void UnknownLayout_IsRejectedNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new PushTEnv(new PushTConfig(Observation: (PushTObservation)7)));
        Assert.Contains("7", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The corner order is the order Chipmunk's convex hull leaves add_tee's vertices in (pymunk's get_vertices): asked
    /// of libchipmunk 7.0.3 itself through ctypes (cpPolyShapeNew with an identity transform, then cpPolyShapeGetVert).
    /// </summary>
    [Fact]
    public void CornerOrder_IsWhatLibChipmunkReturnsForAddTeesBoxes()
    {
        const string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), $"{python} is missing (install Debian's python3 and libchipmunk7)");
        const string script = """
            import ctypes, ctypes.util
            lib = ctypes.CDLL("libchipmunk.so.7")
            class V(ctypes.Structure): _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]
            class T(ctypes.Structure): _fields_ = [(n, ctypes.c_double) for n in "a b c d tx ty".split()]
            lib.cpBodyNew.restype = ctypes.c_void_p; lib.cpBodyNew.argtypes = [ctypes.c_double, ctypes.c_double]
            lib.cpPolyShapeNew.restype = ctypes.c_void_p
            lib.cpPolyShapeNew.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(V), T, ctypes.c_double]
            lib.cpPolyShapeGetCount.argtypes = [ctypes.c_void_p]
            lib.cpPolyShapeGetVert.restype = V; lib.cpPolyShapeGetVert.argtypes = [ctypes.c_void_p, ctypes.c_int]
            body = lib.cpBodyNew(1, 1)
            # gym-pusht add_tee(scale=30, length=4): vertices1 (bar) and vertices2 (stem) as given there.
            for verts in ([(-60, 30), (60, 30), (60, 0), (-60, 0)], [(-15, 30), (-15, 120), (15, 120), (15, 30)]):
                shape = lib.cpPolyShapeNew(body, 4, (V * 4)(*[V(x, y) for x, y in verts]), T(1, 0, 0, 1, 0, 0), 0.0)
                for i in range(lib.cpPolyShapeGetCount(shape)):
                    v = lib.cpPolyShapeGetVert(shape, i)
                    print(v.x, v.y)
            """;
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        using var p = Process.Start(info)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"libchipmunk peer failed (apt-get install libchipmunk7): {stderr}");

        var chipmunk = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .Select(xy => new Vec2(xy[0], xy[1])).ToArray();
        Assert.Equal(TBoxCorners.Local, chipmunk);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
