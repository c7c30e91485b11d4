using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;
using ImmisciblePolicy.Sim.Rendering;
using SkiaSharp;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class RenderingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sim-render-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void PushTPng_DecodesWithAgentBlockAndGoalColours()
    {
        var env = new PushTEnv();
        env.ResetTo(new Vec2(100, 100), new Vec2(380, 380), 0);
        string path = Path.Combine(_dir, "frame.png");
        using (var bmp = SceneRenderer.DrawPushT(env.State, 256, [new Vec2(120, 120), new Vec2(140, 140)], new Vec2(150, 150)))
        {
            SceneRenderer.WritePng(path, bmp);
        }

        using var decoded = SKBitmap.Decode(path);
        Assert.NotNull(decoded);
        Assert.Equal(256, decoded.Width);
        // World -> image scale 0.5. Agent centre (100, 100) -> (50, 50): RoyalBlue.
        Assert.Equal(new SKColor(65, 105, 225), decoded.GetPixel(50, 50));
        // Block stem centre: origin (380, 380) + (0, 75) -> world (380, 455) -> image (190, 227).
        Assert.Equal(new SKColor(119, 136, 153), decoded.GetPixel(190, 227));
        // Goal centre of gravity (256, 256) + R(pi/4)(0, 45) lies in the goal T: LightGreen.
        var g = PushTConfig.GoalPose.LocalToWorld(new Vec2(0, 45)) * 0.5;
        Assert.Equal(new SKColor(144, 238, 144), decoded.GetPixel((int)g.X, (int)g.Y));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Gif_OfRollout_DecodesToQuantisedFrames()
    {
        var env = new BimodalReachEnv();
        env.Reset(1);
        var expert = new BimodalReachExpert(env.Config, ReachMode.Left, 1);
        var frames = new List<RgbFrame>();
        for (int t = 0; t < 6; t++)
        {
            using var bmp = SceneRenderer.DrawBimodal(env.Config, env.Agent, 96);
            frames.Add(RgbFrame.FromBitmap(bmp));
            env.Step(expert.Act(env.Agent));
        }

        string path = Path.Combine(_dir, "rollout.gif");
        GifWriter.Write(path, frames, 10);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0x3B, bytes[^1]);
        var gif = GifDecoder.Decode(bytes);
        Assert.Equal((96, 96), (gif.Width, gif.Height));
        Assert.Equal(6, gif.Frames.Count);
        Assert.All(gif.Delays, d => Assert.Equal(10, d));
        AssertFramesMatch(frames, gif);
    }

    [Fact]
    public void Gif_WithNoisyFrames_SurvivesTableResets()
    {
        // Random pixels fill the 4096-entry LZW table many times over, exercising the clear codes.
        var rng = new System.Random(9);
        var frames = new List<RgbFrame>();
        for (int f = 0; f < 2; f++)
        {
            var rgb = new byte[120 * 90 * 3];
            rng.NextBytes(rgb);
            frames.Add(new RgbFrame(120, 90, rgb));
        }

        var gif = GifDecoder.Decode(GifWriter.Encode(frames, 5));
        Assert.Equal(2, gif.Frames.Count);
        AssertFramesMatch(frames, gif);
    }

    [Fact]
    public void Gif_RejectsMismatchedFrames()
    {
        var a = new RgbFrame(4, 4, new byte[48]);
        var b = new RgbFrame(5, 4, new byte[60]);
        var ex = Assert.Throws<ArgumentException>(() => GifWriter.Encode([a, b]));
        Assert.Contains("5 x 4", ex.Message, StringComparison.Ordinal);
    }

    private static void AssertFramesMatch(List<RgbFrame> frames, GifDecoder.Decoded gif)
    {
        Assert.Equal(GifWriter.Palette, gif.Palette);
        for (int f = 0; f < frames.Count; f++)
        {
            var src = frames[f].Rgb;
            for (int i = 0; i < gif.Frames[f].Length; i++)
            {
                Assert.Equal(GifWriter.NearestIndex(src[3 * i], src[(3 * i) + 1], src[(3 * i) + 2]), gif.Frames[f][i]);
            }
        }
    }
}
