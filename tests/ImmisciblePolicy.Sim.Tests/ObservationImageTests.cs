using System.Diagnostics;
using System.Globalization;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;
using ImmisciblePolicy.Sim.Rendering;

namespace ImmisciblePolicy.Sim.Tests;

/// <summary>
/// The pixel observation against gym-pusht's own drawing calls replayed with pygame and resized with OpenCV
/// (tests/peers/pusht_pixels_peer.py; Debian python3-pygame and python3-opencv, installed by tests/run).
/// </summary>
public sealed class ObservationImageTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string dir = Directory.CreateTempSubdirectory("pixels-peer").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly PushTState[] States =
    [
        new(new Vec2(300, 200), Vec2.Zero, new Pose2(250, 300, 0.7)),
        new(new Vec2(256, 400), Vec2.Zero, new Pose2(256, 300, 0)),
        new(new Vec2(60, 440), Vec2.Zero, new Pose2(380, 140, -2.3)),
        new(new Vec2(256, 256), Vec2.Zero, new Pose2(256, 256, Math.PI / 4)),
    ];

    [Fact]
    public void PushTPixels_MatchGymPushtDrawingAndResize()
    {
        RunPeer([dir, "96", .. States.SelectMany(s => new[] { s.Agent.X, s.Agent.Y, s.Block.X, s.Block.Y, s.Block.Angle })
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture))]);
        for (int i = 0; i < States.Length; i++)
        {
            var full = ObservationImage.PushT(States[i], 512, 512);
            var peerFull = File.ReadAllBytes(Path.Combine(dir, $"state{i}_512.rgb"));
            // Aliased primitives of two rasterisers: edges may differ by a pixel, nothing else.
            double equal = Enumerable.Range(0, 512 * 512).Count(p => full[3 * p] == peerFull[3 * p] && full[(3 * p) + 1] == peerFull[(3 * p) + 1]
                && full[(3 * p) + 2] == peerFull[(3 * p) + 2]) / (512.0 * 512.0);
            Assert.True(equal >= 0.99, $"state {i}: only {equal:P2} of the 512 x 512 pixels equal gym-pusht's drawing");

            var small = ObservationImage.PushT(States[i]);
            var peerSmall = File.ReadAllBytes(Path.Combine(dir, $"state{i}_96.rgb"));
            Assert.Equal(96 * 96 * 3, small.Length);
            double meanAbs = small.Zip(peerSmall, (a, b) => Math.Abs(a - b)).Average();
            double close = small.Zip(peerSmall, (a, b) => Math.Abs(a - b) <= 8 ? 1.0 : 0.0).Average();
            Assert.True(meanAbs <= 0.5, $"state {i}: mean |difference| of the 96 x 96 observation is {meanAbs:F3} levels");
            Assert.True(close >= 0.985, $"state {i}: only {close:P2} of the 96 x 96 values are within 8 levels of gym-pusht's");
        }
    }

    [Theory]
    [InlineData(96)]
    [InlineData(48)]
    [InlineData(16)]
    public void LinearResize_MatchesOpenCvInterLinear(int size)
    {
        var full = ObservationImage.PushT(States[0], 512, 512);
        var input = Path.Combine(dir, "in.rgb");
        File.WriteAllBytes(input, full);
        var output = Path.Combine(dir, "out.rgb");
        RunPeer(["--resize", input, "512", output, size.ToString(CultureInfo.InvariantCulture)]);
        var theirs = File.ReadAllBytes(output);
        var ours = LinearResize.Resize(full, 512, 512, 3, size, size);
        int worst = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        // OpenCV's SIMD vertical pass rounds in two stages; the scalar formula we follow can differ by one level.
        Assert.True(worst <= 1, $"resize to {size}: max |difference| from cv2.resize is {worst} levels");
    }

    [Fact]
    public void PushTPixels_ShowAgentBlockAndGoalWhereTheyAre()
    {
        var state = States[0];
        var image = ObservationImage.PushT(state);
        (byte R, byte G, byte B) At(Vec2 world) { int x = (int)(world.X * 96 / 512), y = (int)(world.Y * 96 / 512); int k = ((y * 96) + x) * 3; return (image[k], image[k + 1], image[k + 2]); }
        Assert.Equal((78, 126, 255), At(state.Agent));                                   // light RoyalBlue inner disc
        Assert.Equal((142, 163, 183), At(state.Block.LocalToWorld(new Vec2(0, 75))));     // light LightSlateGray, inside the stem
        Assert.Equal((144, 238, 144), At(PushTConfig.GoalPose.LocalToWorld(new Vec2(0, 90)))); // goal, not covered here
        Assert.Equal((255, 255, 255), At(new Vec2(480, 40)));                             // background
    }

    [Fact]
    public void BimodalPixels_DrawTheAgentWhereItIs_AndChangeWhenItMoves()
    {
        var config = new BimodalReachConfig();
        var a = ObservationImage.Bimodal(config, new Vec2(100, 450));
        var b = ObservationImage.Bimodal(config, new Vec2(400, 450));
        Assert.Equal(96 * 96 * 3, a.Length);
        int k = (((int)(450 * 96 / 512) * 96) + (int)(100 * 96 / 512)) * 3;
        Assert.Equal((78, 126, 255), (a[k], a[k + 1], a[k + 2]));
        Assert.Equal((255, 255, 255), (b[k], b[k + 1], b[k + 2]));
    }

    private static void RunPeer(IEnumerable<string> args)
    {
        if (!File.Exists(Python)) Assert.Fail($"{Python} is missing; install Debian's python3, python3-pygame and python3-opencv");
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(Root(), "tests", "peers", "pusht_pixels_peer.py"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000)) { p.Kill(true); Assert.Fail("pusht_pixels_peer.py did not finish within 60 s"); }
        if (p.ExitCode != 0)
            Assert.Fail($"pusht_pixels_peer.py failed (exit {p.ExitCode}); it needs Debian's python3-pygame and python3-opencv " +
                        $"(apt-get install -y python3-pygame python3-opencv): {err.Result}");
    }

    private static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ImmisciblePolicy.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("no ImmisciblePolicy.sln above the test binaries");
    }
}
