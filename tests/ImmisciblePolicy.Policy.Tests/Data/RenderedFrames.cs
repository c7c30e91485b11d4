using System.Diagnostics;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;
using ImmisciblePolicy.Sim.Rendering;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>Push-T scenes rendered at 96 x 96 (SceneRenderer), the frames of video tests, and an ffmpeg runner.</summary>
internal static class RenderedFrames
{
    public static readonly ImageFeature Camera = new("observation.image", 96, 96, 3);

    /// <summary>Frame t of episode e: the agent sweeps 24 world pixels per frame, the block turns 0.15 rad per frame.</summary>
    public static byte[] Frame(int e, int t)
    {
        var state = new PushTState(
            new Vec2(80 + (24 * t) + (30 * e), 150 + (12 * t)), default,
            new Pose2(256 + (10 * e), 300, 0.3 + (0.15 * t) + e));
        using var bitmap = SceneRenderer.DrawPushT(state, Camera.Width);
        return RgbFrame.FromBitmap(bitmap).Rgb;
    }

    public static InMemoryImageFrames Frames(int e, int length) => new(Camera, [.. Enumerable.Range(0, length).Select(t => Frame(e, t))]);

    public static DemonstrationDataset MakeDataset(params int[] lengths) => new(
        [.. lengths.Select((length, e) => CameraFixtures.WithImages(DatasetFixtures.MakeEpisode(e, length), Frames(e, length)))],
        fps: 10,
        stateNames: ["agent_x", "agent_y"],
        actionNames: ["target"],
        tasks: ["Push the T-shaped block onto the target.", "Second task"],
        robotType: "2d pointer");

    /// <summary>Peak signal-to-noise ratio of two uint8 frames, dB (infinite when identical).</summary>
    public static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double mse = MeanSquaredError(a, b);
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    public static double MeanSquaredError(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        return sum / a.Length;
    }

    /// <summary>Runs the ffmpeg peer (Debian package ffmpeg; tests/run installs it); fails the test with its messages on error.</summary>
    public static void RunFfmpeg(params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"these tests need the ffmpeg program (apt-get install -y ffmpeg): {e.Message}");
            return;
        }
        using (process)
        {
            Task<string> errors = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                Assert.Fail($"ffmpeg {string.Join(' ', arguments)} failed: {errors.Result}");
        }
    }
}
