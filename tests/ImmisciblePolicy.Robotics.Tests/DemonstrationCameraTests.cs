using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics.Tests;

/// <summary>Demonstrations recorded with a camera: one rendered frame per observation, written as LeRobot cameras.</summary>
public sealed class DemonstrationCameraTests : IDisposable
{
    private readonly string scratch = Path.Combine(Path.GetTempPath(), $"robotics-camera-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(scratch))
            Directory.Delete(scratch, recursive: true);
    }

    [Fact]
    public void Generate_WithACamera_RendersTheSceneOfEachObservationBeforeItsAction()
    {
        // A camera that writes the agent's position (the bimodal observation) into the first pixel: frame t must
        // show observation t, so the frames line up with observation.state.
        var camera = new ImageFeature("observation.image", 8, 8, 3);
        SceneCamera probe = (task, feature, frame) =>
        {
            frame.Clear();
            double[] observation = task.Observe();
            frame[0] = (byte)((int)Math.Floor(observation[0]) & 255);
            frame[1] = (byte)((int)Math.Floor(observation[1]) & 255);
            frame[2] = (byte)task.StepCount;
        };

        var report = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 2, firstSeed: 0, camera: camera, render: probe);

        Assert.Equal([camera], report.Dataset.ImageFeatures);
        var frame = new byte[camera.FrameBytes];
        foreach (Episode episode in report.Dataset.Episodes)
        {
            IImageFrames frames = episode.Images["observation.image"];
            Assert.Equal(episode.Length, frames.Count);
            for (int t = 0; t < episode.Length; t++)
            {
                frames.CopyFrame(t, frame);
                Assert.Equal((byte)((int)Math.Floor(episode.State(t)[0]) & 255), frame[0]);
                Assert.Equal((byte)((int)Math.Floor(episode.State(t)[1]) & 255), frame[1]);
                Assert.Equal((byte)t, frame[2]);
            }
        }
    }

    [Fact]
    public void DefaultCamera_RendersTheTasksAt96Pixels_AndFramesChangeAsTheAgentMoves()
    {
        var env = new PushTEnv();
        env.Reset(3);
        var first = new byte[SceneCameras.PushT.FrameBytes];
        var later = new byte[SceneCameras.PushT.FrameBytes];

        SceneCameras.Render(env, SceneCameras.PushT, first);
        for (int i = 0; i < 5; i++)
            env.Step([400, 400]);
        SceneCameras.Render(env, SceneCameras.PushT, later);

        Assert.Equal(96 * 96 * 3, first.Length);
        Assert.Contains(first.Chunk(3), p => p[0] < 200);             // something besides the white background
        Assert.False(first.AsSpan().SequenceEqual(later), "the agent moved, so the frame must change");
        var error = Assert.Throws<ArgumentException>(() => SceneCameras.Render(env, new ImageFeature("cam", 96, 64, 3), first));
        Assert.Contains("square RGB", error.Message, StringComparison.Ordinal);
        var bimodal = new BimodalReachEnv();
        bimodal.Reset(0);
        SceneCameras.Render(bimodal, SceneCameras.PushT, first);
    }

    [Fact]
    public async Task Generated_WithImages_WritesAndReadsBackEveryFrameExactly()
    {
        var report = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 3, firstSeed: 5, camera: SceneCameras.PushT);
        string root = Path.Combine(scratch, "images");

        await new LeRobotDatasetWriter().WriteAsync(report.Dataset, root);
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        Assert.Equal(report.Dataset.ImageFeatures, read.ImageFeatures);
        var a = new byte[SceneCameras.PushT.FrameBytes];
        var b = new byte[SceneCameras.PushT.FrameBytes];
        for (int e = 0; e < read.Episodes.Count; e++)
        {
            IImageFrames written = report.Dataset.Episodes[e].Images["observation.image"], back = read.Episodes[e].Images["observation.image"];
            Assert.Equal(written.Count, back.Count);
            for (int t = 0; t < back.Count; t++)
            {
                written.CopyFrame(t, a);
                back.CopyFrame(t, b);
                Assert.True(a.AsSpan().SequenceEqual(b), $"episode {e}, frame {t}");
            }
        }
    }

    [Fact]
    public async Task Generated_WithVideo_ReadsBackWithinCodecError()
    {
        var report = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 2, firstSeed: 1, camera: SceneCameras.PushT);
        string root = Path.Combine(scratch, "video");

        await new LeRobotDatasetWriter(new LeRobotWriterOptions { Video = VideoEncoding.For("libsvtav1") }).WriteAsync(report.Dataset, root);
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        Assert.IsType<VideoImageFrames>(read.Episodes[0].Images["observation.image"]);
        var a = new byte[SceneCameras.PushT.FrameBytes];
        var b = new byte[SceneCameras.PushT.FrameBytes];
        for (int e = 0; e < read.Episodes.Count; e++)
        {
            IImageFrames written = report.Dataset.Episodes[e].Images["observation.image"], back = read.Episodes[e].Images["observation.image"];
            for (int t = 0; t < back.Count; t++)
            {
                written.CopyFrame(t, a);
                back.CopyFrame(t, b);
                double mse = 0;
                for (int i = 0; i < a.Length; i++)
                    mse += (a[i] - b[i]) * (a[i] - b[i]);
                double psnr = 10 * Math.Log10(255.0 * 255.0 * a.Length / Math.Max(mse, 1e-9));
                Assert.True(psnr > 30, $"episode {e}, frame {t}: PSNR {psnr:F1} dB");
            }
        }
    }

    [Fact]
    public void GeneratedImageDataset_FramesEqualThePixelObservationOfTheSameState_AndProjectOntoTheAgentPosition()
    {
        // data generate --images: a Push-T keypoints dataset with 48 x 48 frames. Every frame must be what a vision
        // policy observes in closed loop (PixelObservations) for that state; replaying the actions reproduces the states.
        var camera = SceneCameras.Square(48);
        var report = DemonstrationGenerator.Generate(SimTaskKind.PushT, 1, firstSeed: 4, camera: camera);
        var episode = report.Dataset.Episodes[0];
        var env = new PushTEnv();
        env.Reset(4);
        var frame = new byte[camera.FrameBytes];
        foreach (int t in new[] { 0, 1, episode.Length / 2, episode.Length - 1 }.Distinct())
        {
            while (env.StepCount < t) env.Step([.. episode.Action(env.StepCount).ToArray().Select(v => (double)v)]);
            episode.Images[camera.Name].CopyFrame(t, frame);
            var observed = PixelObservations.Observe(env, [camera]);
            Assert.True(observed.Images[0].Pixels.AsSpan().SequenceEqual(frame), $"frame {t} differs from the pixel observation of its state");
        }

        // train --data on it: observation.state reduced to the agent position, the pixel observation's state.
        var pixels = PixelObservations.Project(report.Dataset);
        Assert.Equal(PixelObservations.StateNames, pixels.StateNames);
        Assert.Equal(0, pixels.EnvironmentStateDim);
        env.Reset(4);
        Assert.Equal(PixelObservations.State(env).Select(v => (float)v), pixels.Episodes[0].State(0).ToArray());
        Assert.Equal(episode.Actions.ToArray(), pixels.Episodes[0].Actions.ToArray());
        Assert.Same(episode.Images[camera.Name], pixels.Episodes[0].Images[camera.Name]);
        Assert.Same(pixels, PixelObservations.Project(pixels));
        var stateOnly = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 1).Dataset;
        Assert.Contains("no image features", Assert.Throws<ArgumentException>(() => PixelObservations.Project(stateOnly)).Message, StringComparison.Ordinal);
    }
}
