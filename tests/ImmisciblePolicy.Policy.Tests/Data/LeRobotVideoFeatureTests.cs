using System.Text.Json.Nodes;
using ImmisciblePolicy.Policy.Data;
using Parquet.Meta;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>LeRobot `video` features: mp4 files written and read through the ffmpeg program.</summary>
public sealed class LeRobotVideoFeatureTests : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    private static LeRobotWriterOptions Videos(string codec = "libsvtav1") => new() { Video = VideoEncoding.For(codec) };

    [Theory]
    [InlineData("libsvtav1")]
    [InlineData("libx264")]
    public async Task WriteThenRead_VideoFeature_ReturnsEveryFrameInOrderWithinCodecError(string codec)
    {
        DemonstrationDataset dataset = RenderedFrames.MakeDataset(6, 9, 4);
        string root = scratch.Combine(codec);

        await new LeRobotDatasetWriter(Videos(codec)).WriteAsync(dataset, root);
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        DatasetFixtures.AssertSameDataset(dataset, read);
        Assert.Equal([RenderedFrames.Camera], read.ImageFeatures);
        AssertFramesWithinCodecError(dataset, read, minimumPsnr: 30);
        // Episodes follow one another in one file: episode 1 starts after episode 0's 6 frames, at 0.6 s.
        var second = Assert.IsType<VideoImageFrames>(read.Episodes[1].Images["observation.image"]);
        Assert.Equal("videos/observation.image/chunk-000/file-000.mp4", second.RelativePath);
        Assert.Equal([0.6, 0.7, 0.8], Enumerable.Range(0, 3).Select(i => Math.Round(second.Timestamp(i), 6)));
    }

    [Fact]
    public async Task Read_AnMp4EncodedByFfmpegFromRenderedPngs_DecodesEachEpisodeFromItsTimestamps()
    {
        // The layout LeRobot produces: per-frame PNGs encoded by ffmpeg, episodes back to back in one mp4. The test
        // encodes that file itself (libx264 from an image sequence) and puts it in place of the writer's.
        DemonstrationDataset dataset = RenderedFrames.MakeDataset(5, 7);
        string root = scratch.Combine("foreign");
        await new LeRobotDatasetWriter(Videos()).WriteAsync(dataset, root);
        string pngs = scratch.Combine("pngs");
        Directory.CreateDirectory(pngs);
        int k = 0;
        var buffer = new byte[RenderedFrames.Camera.FrameBytes];
        foreach (Episode episode in dataset.Episodes)
        {
            IImageFrames frames = episode.Images["observation.image"];
            for (int t = 0; t < frames.Count; t++, k++)
            {
                frames.CopyFrame(t, buffer);
                File.WriteAllBytes(Path.Combine(pngs, $"frame-{k:D6}.png"), PngCodec.Encode(RenderedFrames.Camera, buffer));
            }
        }
        string mp4 = Path.Combine(root, "videos/observation.image/chunk-000/file-000.mp4");
        RenderedFrames.RunFfmpeg("-hide_banner", "-loglevel", "error", "-y", "-framerate", "10", "-i", Path.Combine(pngs, "frame-%06d.png"),
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "2", "-crf", "18", mp4);
        LeRobotImageFeatureTests.RewriteInfo(root, info => info["features"]!["observation.image"]!["info"]!["video.codec"] = "h264");

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        AssertFramesWithinCodecError(dataset, read, minimumPsnr: 35);
    }

    [Fact]
    public async Task Write_InfoJsonAndEpisodesTable_DescribeTheVideoAsLeRobotDoes()
    {
        string root = scratch.Combine("layout");
        await new LeRobotDatasetWriter(Videos()).WriteAsync(RenderedFrames.MakeDataset(3, 5), root);

        JsonObject info = LeRobotDatasetWriterTests.ReadJson(root, "meta/info.json");
        Assert.Equal("videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4", (string?)info["video_path"]);
        string expected = JsonNode.Parse("""
            {"dtype": "video", "shape": [96, 96, 3], "names": ["height", "width", "channels"], "info": {
              "video.height": 96, "video.width": 96, "video.codec": "av1", "video.pix_fmt": "yuv420p", "video.fps": 10,
              "video.channels": 3, "has_audio": false, "video.g": 2, "video.crf": 30, "video.preset": 12,
              "video.fast_decode": 0, "is_depth_map": false}}
            """)!.ToJsonString();
        Assert.Equal(expected, info["features"]!["observation.image"]!.ToJsonString());
        Assert.True(File.Exists(Path.Combine(root, "videos/observation.image/chunk-000/file-000.mp4")));

        // The data files hold no column for a video feature (LeRobot's get_hf_features_from_features skips them).
        FileMetaData data = await LeRobotImageFeatureTests.ReadFooterAsync(Path.Combine(root, "data/chunk-000/file-000.parquet"));
        Assert.DoesNotContain(data.Schema, e => e.Name == "observation.image");

        string episodes = "meta/episodes/chunk-000/file-000.parquet";
        FileMetaData meta = await LeRobotImageFeatureTests.ReadFooterAsync(Path.Combine(root, episodes));
        string[] described = [.. meta.Schema.Select(LeRobotImageFeatureTests.Describe)];
        Assert.Contains("videos/observation.image/chunk_index OPTIONAL INT64", described);
        Assert.Contains("videos/observation.image/file_index OPTIONAL INT64", described);
        Assert.Contains("videos/observation.image/from_timestamp OPTIONAL DOUBLE", described);
        Assert.Contains("videos/observation.image/to_timestamp OPTIONAL DOUBLE", described);
        Assert.Contains("stats/observation.image/mean OPTIONAL group LIST children=1", described);
        await using var table = await ParquetTableReader.OpenAsync(root, episodes, CancellationToken.None);
        double[] from = await table.ReadDoubleAsync("videos/observation.image/from_timestamp", CancellationToken.None);
        double[] to = await table.ReadDoubleAsync("videos/observation.image/to_timestamp", CancellationToken.None);
        Assert.Equal(new[] { 0.0, 0.3 }, from);
        Assert.Equal(new[] { 0.3, 0.8 }, to);

        // Video statistics are the source frames' (LeRobot computes them before encoding), shaped (3, 1, 1).
        JsonNode stats = LeRobotDatasetWriterTests.ReadJson(root, "meta/stats.json")["observation.image"]!;
        Assert.Equal("[8]", stats["count"]!.ToJsonString());
        Assert.Equal(3, stats["mean"]!.AsArray().Count);
        Assert.Equal(1.0, (double)stats["max"]![2]![0]![0]!);
    }

    [Fact]
    public async Task Write_WithTinyVideoFiles_StartsANewFilePerEpisode_AndReadsBack()
    {
        // Long enough episodes that x264's lookahead has muxed part of each before the next one starts; files roll on
        // the bytes ffmpeg has put on disk at an episode boundary.
        DemonstrationDataset dataset = RenderedFrames.MakeDataset(60, 60, 20);
        string root = scratch.Combine("rolling");

        await new LeRobotDatasetWriter(Videos("libx264") with { VideoFilesSizeInMb = 1e-6, ChunksSize = 2 }).WriteAsync(dataset, root);

        Assert.True(File.Exists(Path.Combine(root, "videos/observation.image/chunk-000/file-001.mp4")));
        Assert.True(File.Exists(Path.Combine(root, "videos/observation.image/chunk-001/file-000.mp4")));
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);
        var third = Assert.IsType<VideoImageFrames>(read.Episodes[2].Images["observation.image"]);
        Assert.Equal("videos/observation.image/chunk-001/file-000.mp4", third.RelativePath);
        Assert.Equal(0.0, third.Timestamp(0));
        AssertFramesWithinCodecError(dataset, read, minimumPsnr: 30);
    }

    [Fact]
    public async Task Read_WhenFfmpegIsMissing_FailsAtOnceNamingTheFeatureAndTheProgram()
    {
        string root = scratch.Combine("no-ffmpeg");
        await new LeRobotDatasetWriter(Videos()).WriteAsync(RenderedFrames.MakeDataset(3), root);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            LeRobotDatasetReader.ReadAsync(root, new LeRobotReaderOptions { FfmpegPath = "/nonexistent/bin/ffmpeg" }));

        Assert.Contains("video feature 'observation.image'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ffmpeg' program", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/bin/ffmpeg", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install ffmpeg", error.Message, StringComparison.Ordinal);
        // The explicit opt-out still reads the rest.
        var stateOnly = await LeRobotDatasetReader.ReadAsync(root, new LeRobotReaderOptions { FfmpegPath = "/nonexistent/bin/ffmpeg", SkipCameraFeatures = true });
        Assert.Empty(stateOnly.ImageFeatures);
    }

    [Fact]
    public async Task Write_AsVideoWhenFfmpegIsMissing_FailsNamingTheCameraAndLeavesNothing()
    {
        string root = scratch.Combine("never");
        var writer = new LeRobotDatasetWriter(Videos() with { FfmpegPath = "/nonexistent/bin/ffmpeg" });

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => writer.WriteAsync(RenderedFrames.MakeDataset(3), root));

        Assert.Contains("'observation.image' as video", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Read_WhenTheVideoEndsBeforeAnEpisode_FailsNamingFileFeatureAndEpisode()
    {
        string root = scratch.Combine("short");
        DemonstrationDataset dataset = RenderedFrames.MakeDataset(3, 4);
        await new LeRobotDatasetWriter(Videos("libx264")).WriteAsync(dataset, root);
        // Replace the file by one holding episode 0 only.
        await new LeRobotDatasetWriter(Videos("libx264")).WriteAsync(RenderedFrames.MakeDataset(3), scratch.Combine("first-only"));
        File.Copy(scratch.Combine("first-only/videos/observation.image/chunk-000/file-000.mp4"),
            Path.Combine(root, "videos/observation.image/chunk-000/file-000.mp4"), overwrite: true);

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);
        var buffer = new byte[RenderedFrames.Camera.FrameBytes];
        read.Episodes[0].Images["observation.image"].CopyFrame(2, buffer);
        var error = Assert.Throws<InvalidDataException>(() => read.Episodes[1].Images["observation.image"].CopyFrame(0, buffer));

        Assert.Contains("videos/observation.image/chunk-000/file-000.mp4", error.Message, StringComparison.Ordinal);
        Assert.Contains("video feature 'observation.image'", error.Message, StringComparison.Ordinal);
        Assert.Contains("episode 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected 4 frames", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_WhenTheVideosFramesAreNotAtTheEpisodesTimestamps_FailsSayingWhichFrameAndWhen()
    {
        // A file encoded at 20 fps holds frames every 0.05 s, half as long as the dataset's: episode 1 starts at
        // from_timestamp 0.3 s, where the 10 fps file's frame 3 would be, but the 20 fps file's nearest frame is at 0.25 s.
        string root = scratch.Combine("fps");
        DemonstrationDataset dataset = RenderedFrames.MakeDataset(3, 4);
        await new LeRobotDatasetWriter(Videos("libx264")).WriteAsync(dataset, root);
        string raw = scratch.Combine("frames.rgb");
        await using (var stream = File.Create(raw))
        {
            var buffer = new byte[RenderedFrames.Camera.FrameBytes];
            foreach (Episode episode in dataset.Episodes)
            {
                for (int t = 0; t < episode.Length; t++)
                {
                    // Each frame twice: the 20 fps file lasts as long as the dataset (0.7 s), only its frame times differ.
                    episode.Images["observation.image"].CopyFrame(t, buffer);
                    stream.Write(buffer);
                    stream.Write(buffer);
                }
            }
        }
        RenderedFrames.RunFfmpeg("-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "96x96", "-r", "20",
            "-i", raw, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "2", Path.Combine(root, "videos/observation.image/chunk-000/file-000.mp4"));

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);
        var error = Assert.Throws<InvalidDataException>(() => read.Episodes[1].Images["observation.image"].CopyFrame(0, new byte[RenderedFrames.Camera.FrameBytes]));

        Assert.Contains("episode 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("frame 0 should be at 0.3", error.Message, StringComparison.Ordinal);
        Assert.Contains("at 0.25 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decoder_KeepsRecentEpisodesWithinItsBudget_AndDecodesEachEpisodeOnceWhenTheyFit()
    {
        string root = scratch.Combine("cache");
        await new LeRobotDatasetWriter(Videos("libx264")).WriteAsync(RenderedFrames.MakeDataset(3, 4), root);
        var buffer = new byte[RenderedFrames.Camera.FrameBytes];

        DemonstrationDataset roomy = await LeRobotDatasetReader.ReadAsync(root);
        foreach (int e in new[] { 0, 1, 0, 1, 0 })
            roomy.Episodes[e].Images["observation.image"].CopyFrame(1, buffer);
        VideoFrameDecoder decoder = ((VideoImageFrames)roomy.Episodes[0].Images["observation.image"]).Decoder;
        Assert.Equal(2, decoder.Decodes);
        Assert.Equal(7L * RenderedFrames.Camera.FrameBytes, decoder.CachedBytes);

        // A budget below one episode keeps only the episode being read: alternating episodes decode every time.
        DemonstrationDataset tight = await LeRobotDatasetReader.ReadAsync(root, new LeRobotReaderOptions { VideoCacheMegabytes = 0 });
        foreach (int e in new[] { 0, 1, 0 })
            tight.Episodes[e].Images["observation.image"].CopyFrame(1, buffer);
        VideoFrameDecoder small = ((VideoImageFrames)tight.Episodes[0].Images["observation.image"]).Decoder;
        Assert.Equal(3, small.Decodes);
        Assert.True(small.CachedBytes <= 4L * RenderedFrames.Camera.FrameBytes);
    }

    [Fact]
    public async Task Write_Svtav1WithFramesUnder64Pixels_FailsSayingWhatTheEncoderNeeds()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            new LeRobotDatasetWriter(Videos()).WriteAsync(CameraFixtures.MakeDataset(CameraFixtures.Camera, 2), scratch.Combine("small")));

        Assert.Contains("'observation.image'", error.Message, StringComparison.Ordinal);
        Assert.Contains("64 x 64", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Every decoded frame is its own source frame within codec error (PSNR) and nearer to it than to any
    /// other frame of its episode: count, order and content survive.</summary>
    private static void AssertFramesWithinCodecError(DemonstrationDataset expected, DemonstrationDataset actual, double minimumPsnr)
    {
        int size = RenderedFrames.Camera.FrameBytes;
        for (int e = 0; e < expected.Episodes.Count; e++)
        {
            IImageFrames source = expected.Episodes[e].Images["observation.image"];
            IImageFrames decoded = actual.Episodes[e].Images["observation.image"];
            Assert.Equal(source.Count, decoded.Count);
            var originals = new byte[source.Count][];
            for (int t = 0; t < source.Count; t++)
            {
                originals[t] = new byte[size];
                source.CopyFrame(t, originals[t]);
            }
            var frame = new byte[size];
            for (int t = 0; t < decoded.Count; t++)
            {
                decoded.CopyFrame(t, frame);
                double psnr = RenderedFrames.Psnr(originals[t], frame);
                Assert.True(psnr > minimumPsnr, $"episode {e}, frame {t}: PSNR {psnr:F1} dB <= {minimumPsnr} dB");
                int nearest = Enumerable.Range(0, originals.Length).MinBy(j => RenderedFrames.MeanSquaredError(originals[j], frame));
                Assert.Equal(t, nearest);
            }
        }
    }
}
