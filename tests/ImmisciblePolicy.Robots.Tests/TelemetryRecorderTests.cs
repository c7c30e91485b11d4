using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots.Telemetry;
using NetMQ;

namespace ImmisciblePolicy.Robots.Tests;

public sealed class TelemetryRecorderTests
{
    private static void PublishEpisode(RobotTelemetryPublisher pub, string session, int steps, int obsDim, bool skipExecuted = false)
    {
        for (int t = 0; t <= steps; t++)
        {
            var obs = Enumerable.Range(0, obsDim).Select(d => (float)((t * 10) + d)).ToArray();
            pub.Publish(new ObservationTelemetry(session, t, t * 0.1, obs, t == 0 ? null : t / 100.0, t == steps, t == steps));
            if (t < steps && !(skipExecuted && t == 1)) pub.Publish(new ExecutedTelemetry(session, t, t * 0.1, [t, -t], t, false));
        }
    }

    [Fact]
    public async Task Recorder_ReassemblesEpisodes_AndWritesAReadableLeRobotDataset()
    {
        var endpoint = Loopback.FreeTcpEndpoint();
        using var recorder = new TelemetryRecorder(endpoint, bind: true);
        using var pub = new RobotTelemetryPublisher(endpoint);
        Assert.True(pub.WaitForSubscriber(TimeSpan.FromSeconds(5)), "no subscription reached the publisher");
        PublishEpisode(pub, "robot-00/seed1", steps: 5, obsDim: 2);
        PublishEpisode(pub, "robot-01/seed2", steps: 3, obsDim: 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await recorder.WaitForEpisodesAsync(2, cts.Token));

        var episodes = recorder.Episodes;
        Assert.Equal(["robot-00/seed1", "robot-01/seed2"], episodes.Select(e => e.Session));
        var e0 = episodes[0].Episode;
        Assert.Equal(5, e0.Length);
        // Frame t pairs the observation at t with the action executed at t; its reward is the step's (obs t + 1).
        Assert.Equal([20f, 21f], e0.State(2).ToArray());
        Assert.Equal([2f, -2f], e0.Action(2).ToArray());
        Assert.Equal(3 / 100f, e0.Rewards[2]);
        Assert.Equal([false, false, false, false, true], e0.Dones.ToArray());
        Assert.Equal([false, false, false, false, true], e0.Successes.ToArray());

        var dir = Path.Combine(Path.GetTempPath(), $"robots-rec-{Guid.NewGuid():N}");
        try
        {
            await new LeRobotDatasetWriter().WriteAsync(recorder.ToDataset(SimTaskKind.Bimodal), dir);
            var back = await LeRobotDatasetReader.ReadAsync(dir);
            Assert.Equal(2, back.Episodes.Count);
            Assert.Equal(8, back.TotalFrames);
            Assert.Equal([5, 3], back.Episodes.Select(e => e.Length));
            Assert.Equal(e0.Actions.ToArray(), back.Episodes[0].Actions.ToArray());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Recorder_EpisodesWithCameraFrames_AreWrittenAsALeRobotImageFeatureThroughTheSameWriter()
    {
        var endpoint = Loopback.FreeTcpEndpoint();
        using var recorder = new TelemetryRecorder(endpoint, bind: true);
        using var pub = new RobotTelemetryPublisher(endpoint);
        Assert.True(pub.WaitForSubscriber(TimeSpan.FromSeconds(5)), "no subscription reached the publisher");
        PublishEpisode(pub, "robot-00/seed1", steps: 4, obsDim: 2);
        PublishEpisode(pub, "robot-01/seed2", steps: 3, obsDim: 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await recorder.WaitForEpisodesAsync(2, cts.Token));

        // Frames come from the caller until telemetry carries them: here frame t of a session is filled with t and
        // the session's length, so the read-back can tell frames and episodes apart.
        var camera = new ImageFeature("observation.images.top", 6, 8, 3);
        byte[] Frame(int length, int t) => [.. Enumerable.Range(0, camera.FrameBytes).Select(i => (byte)((i % 3 == 0 ? t : length) + i / 3))];
        IReadOnlyDictionary<string, IImageFrames> Frames(RecordedEpisode e) => new Dictionary<string, IImageFrames>
        {
            [camera.Name] = new InMemoryImageFrames(camera, [.. Enumerable.Range(0, e.Episode.Length).Select(t => Frame(e.Episode.Length, t))]),
        };

        var dir = Path.Combine(Path.GetTempPath(), $"robots-rec-img-{Guid.NewGuid():N}");
        try
        {
            DemonstrationDataset dataset = recorder.ToDataset(SimTaskKind.Bimodal, cameras: Frames);
            await new LeRobotDatasetWriter().WriteAsync(dataset, dir);
            var back = await LeRobotDatasetReader.ReadAsync(dir);

            Assert.Equal([camera], back.ImageFeatures);
            Assert.Equal([4, 3], back.Episodes.Select(e => e.Length));
            var frame = new byte[camera.FrameBytes];
            foreach (Episode episode in back.Episodes)
            {
                for (int t = 0; t < episode.Length; t++)
                {
                    episode.Images[camera.Name].CopyFrame(t, frame);
                    Assert.Equal(Frame(episode.Length, t), frame);
                }
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Recorder_EpisodeWithAMissingAction_IsLeftOutAndCounted()
    {
        var endpoint = Loopback.FreeTcpEndpoint();
        using var recorder = new TelemetryRecorder(endpoint, bind: true);
        using var pub = new RobotTelemetryPublisher(endpoint);
        Assert.True(pub.WaitForSubscriber(TimeSpan.FromSeconds(5)));
        PublishEpisode(pub, "gap", steps: 4, obsDim: 2, skipExecuted: true);
        PublishEpisode(pub, "whole", steps: 2, obsDim: 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await recorder.WaitForEpisodesAsync(1, cts.Token));
        Assert.Equal(["whole"], recorder.Episodes.Select(e => e.Session));
        Assert.Equal(1, recorder.Incomplete);
    }

    [Fact]
    public async Task Recorder_MalformedPayloads_AreCountedAndDoNotStopRecording()
    {
        var endpoint = Loopback.FreeTcpEndpoint();
        using var recorder = new TelemetryRecorder(endpoint, bind: true);
        using (var raw = new NetMQ.Sockets.XPublisherSocket())
        {
            raw.Connect(endpoint);
            // Slow joiner: wait until the recorder's subscription has reached this socket (an XPUB sees it).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            var topics = new HashSet<string>();
            while (!(topics.Contains("obs") && topics.Contains("executed")))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the recorder subscribed only to [{string.Join(", ", topics)}]");
                if (raw.TryReceiveFrameBytes(TimeSpan.Zero, out var sub) && sub.Length > 0 && sub[0] == 1)
                    topics.Add(System.Text.Encoding.UTF8.GetString(sub, 1, sub.Length - 1));
                else
                    await Task.Delay(5);
            }
            raw.SendMoreFrame("obs").SendFrame([0xC1, 0x00]);          // not MessagePack (0xC1 is never used)
            raw.SendMoreFrame("executed").SendFrame(MessagePack.MessagePackSerializer.Serialize(new Dictionary<string, object> { ["v"] = 9 }));
        }
        using var pub = new RobotTelemetryPublisher(endpoint);
        Assert.True(pub.WaitForSubscriber(TimeSpan.FromSeconds(5)));
        PublishEpisode(pub, "after", steps: 2, obsDim: 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await recorder.WaitForEpisodesAsync(1, cts.Token));
        Assert.Equal(2, recorder.Malformed);
    }

    [Fact]
    public void Publisher_WithoutSubscriber_WaitTimesOutAndSendsDoNotBlock()
    {
        // The publisher binds a port of its own that nobody subscribes to. (Connecting to a "free" port raced with
        // the Kestrel servers of parallel tests: a ZeroMQ socket reconnecting to a non-ZeroMQ peer never went quiet.)
        using var pub = new RobotTelemetryPublisher("tcp://127.0.0.1:*", bind: true);
        Assert.False(pub.WaitForSubscriber(TimeSpan.FromMilliseconds(200)));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 5000; i++) pub.Publish(new ExecutedTelemetry("s", i, 0, [1f, 2f], -1, null));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"publishing without a subscriber took {watch.Elapsed}");
    }
    [Fact]
    public async Task WaitUntilReached_ProbesArriveButAreNeverRecorded_AndTimesOutWithoutAPath()
    {
        var endpoint = Loopback.FreeTcpEndpoint();
        using var recorder = new TelemetryRecorder(endpoint, bind: true);
        using var pub = new RobotTelemetryPublisher(endpoint);
        Assert.True(await recorder.WaitUntilReachedAsync(pub, TimeSpan.FromSeconds(10)));
        pub.Publish(new ObservationTelemetry(TelemetryRecorder.ProbeSession, 1, 0, [0f], 1, true, true));   // even a "done" probe
        PublishEpisode(pub, "robot-00/seed1", steps: 3, obsDim: 1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await recorder.WaitForEpisodesAsync(1, cts.Token));
        await Task.Delay(100);
        Assert.Equal(["robot-00/seed1"], recorder.Episodes.Select(e => e.Session));
        Assert.Equal(0, recorder.Incomplete);

        // A publisher nobody subscribes to never reaches the recorder.
        using var stray = new RobotTelemetryPublisher("tcp://127.0.0.1:*", bind: true);
        Assert.False(await recorder.WaitUntilReachedAsync(stray, TimeSpan.FromMilliseconds(300)));
    }
}
