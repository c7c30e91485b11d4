using System.Text.Json.Nodes;
using ImmisciblePolicy.Policy.Data;
using Parquet;
using Parquet.Meta;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>LeRobot `image` features: PNG cells in the data files, written and read.</summary>
public sealed class LeRobotImageFeatureTests : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task WriteThenRead_ImageFeature_RoundTripsEveryPixelAndValue()
    {
        DemonstrationDataset dataset = CameraFixtures.MakeDataset(CameraFixtures.Camera, 3, 5);
        string root = scratch.Combine("images");

        await new LeRobotDatasetWriter().WriteAsync(dataset, root);
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        CameraFixtures.AssertSameFrames(dataset, read);
        // Streaming: the reader keeps PNG bytes and decodes a frame when asked.
        var frames = Assert.IsType<PngImageFrames>(read.Episodes[1].Images["observation.image"]);
        Assert.True(frames.CompressedBytes < 5L * CameraFixtures.Camera.FrameBytes);
    }

    [Fact]
    public async Task WriteThenRead_TwoCamerasAndTinyFiles_SpreadOverFilesAndReadBack()
    {
        var top = new ImageFeature("observation.images.top", 8, 10, 3);
        var wrist = new ImageFeature("observation.images.wrist", 6, 6, 1);
        var dataset = new DemonstrationDataset(
            [.. new[] { 2, 4, 3 }.Select((length, e) => CameraFixtures.WithImages(
                DatasetFixtures.MakeEpisode(e, length), CameraFixtures.Frames(top, e, length), CameraFixtures.Frames(wrist, e, length)))],
            10, ["agent_x", "agent_y"], ["target"], ["a", "b"]);
        string root = scratch.Combine("two-cameras");

        await new LeRobotDatasetWriter(new LeRobotWriterOptions { ChunksSize = 2, DataFilesSizeInMb = 1e-6 }).WriteAsync(dataset, root);

        Assert.True(File.Exists(Path.Combine(root, "data/chunk-001/file-000.parquet")));
        CameraFixtures.AssertSameFrames(dataset, await LeRobotDatasetReader.ReadAsync(root));
    }

    [Fact]
    public async Task Write_InfoJson_ListsTheCameraAsLeRobotImageFeature()
    {
        string root = scratch.Combine("info");
        await new LeRobotDatasetWriter().WriteAsync(CameraFixtures.MakeDataset(CameraFixtures.Camera, 3, 5), root);

        JsonObject features = LeRobotDatasetWriterTests.ReadJson(root, "meta/info.json")["features"]!.AsObject();

        Assert.Equal("""{"dtype":"image","shape":[12,16,3],"names":["height","width","channels"]}""", features["observation.image"]!.ToJsonString());
        Assert.Equal(["observation.state", "action", "observation.image"], features.Select(kv => kv.Key).Take(3));
    }

    [Fact]
    public async Task Write_StatsJson_HoldsPerChannelImageStatsShapedC11_AsTheAggregateOfSampledEpisodeStats()
    {
        DemonstrationDataset dataset = CameraFixtures.MakeDataset(CameraFixtures.Camera, 3, 5);
        string root = scratch.Combine("stats");
        await new LeRobotDatasetWriter().WriteAsync(dataset, root);

        JsonNode image = LeRobotDatasetWriterTests.ReadJson(root, "meta/stats.json")["observation.image"]!;
        FeatureStatistics expected = ImageStatistics.Aggregate(
            [.. dataset.Episodes.Select(ep => ImageStatistics.ComputeEpisode(ep.Images["observation.image"]))]);

        // Episodes of 3 and 5 frames: every frame is sampled.
        Assert.Equal("[8]", image["count"]!.ToJsonString());
        foreach (string stat in new[] { "min", "max", "mean", "std", "q01", "q10", "q50", "q90", "q99" })
        {
            JsonArray channels = image[stat]!.AsArray();
            Assert.Equal(3, channels.Count);
            double[] values = [.. channels.Select(c => (double)c!.AsArray().Single()!.AsArray().Single()!)];
            double[] reference = stat switch
            {
                "min" => expected.Min, "max" => expected.Max, "mean" => expected.Mean, "std" => expected.Std,
                _ => expected.Quantiles[LeRobotLayout.Quantiles.Select(q => q.Name).ToList().IndexOf(stat)],
            };
            Assert.Equal(reference, values);
            Assert.All(values, v => Assert.InRange(v, 0.0, 1.0));
        }
        // The red square (250, 30, 30) and the gradient's wrap-around put the extremes at 0 and 1 on channel 0.
        Assert.Equal(250 / 255.0, (double)image["max"]![0]![0]![0]!, 12);
    }

    [Fact]
    public async Task Write_DataParquet_ImageColumnIsADatasetsImageStructOfPngBytesAndPath()
    {
        string root = scratch.Combine("schema");
        DemonstrationDataset dataset = CameraFixtures.MakeDataset(CameraFixtures.Camera, 3, 5);
        await new LeRobotDatasetWriter().WriteAsync(dataset, root);
        string file = Path.Combine(root, "data/chunk-000/file-000.parquet");

        FileMetaData meta = await ReadFooterAsync(file);
        string[] described = [.. meta.Schema.Select(Describe)];
        // pyarrow's layout of `datasets` Image(): optional struct<bytes: binary, path: string>.
        int at = Array.IndexOf(described, "observation.image OPTIONAL group children=2");
        Assert.True(at > 0, string.Join(" | ", described));
        Assert.Equal("bytes OPTIONAL BYTE_ARRAY", described[at + 1]);
        Assert.Equal("path OPTIONAL BYTE_ARRAY STRING", described[at + 2]);
        string hf = meta.KeyValueMetadata!.Single(kv => kv.Key == "huggingface").Value!;
        Assert.Equal("""{"_type":"Image"}""", JsonNode.Parse(hf)!["info"]!["features"]!["observation.image"]!.ToJsonString());

        await using ParquetReader reader = await ParquetReader.CreateAsync(file);
        var structure = (Parquet.Schema.StructField)reader.Schema.Fields.Single(f => f.Name == "observation.image");
        using ParquetRowGroupReader rg = reader.OpenRowGroupReader(0);
        var paths = new string?[rg.RowCount];
        await rg.ReadAsync((Parquet.Schema.DataField)structure.Fields[1], paths.AsMemory(), null);
        Assert.Equal(
            ["frame-000000.png", "frame-000001.png", "frame-000002.png", "frame-000000.png", "frame-000001.png",
             "frame-000002.png", "frame-000003.png", "frame-000004.png"],
            paths.Select(p => p ?? "null"));
        var bytes = new byte[]?[rg.RowCount];
        await rg.ReadAsync((Parquet.Schema.DataField)structure.Fields[0], bytes.AsMemory(), null);
        var decoded = new byte[CameraFixtures.Camera.FrameBytes];
        PngCodec.Decode(bytes[4], CameraFixtures.Camera, decoded, "row 4");
        Assert.Equal(CameraFixtures.Frame(CameraFixtures.Camera, 1, 1), decoded);
    }

    [Fact]
    public async Task Write_EpisodesParquet_ImageStatsAreNestedC11ListsOfDoubles()
    {
        string root = scratch.Combine("episodes");
        await new LeRobotDatasetWriter().WriteAsync(CameraFixtures.MakeDataset(CameraFixtures.Camera, 3, 5), root);

        FileMetaData episodes = await ReadFooterAsync(Path.Combine(root, "meta/episodes/chunk-000/file-000.parquet"));
        string[] described = [.. episodes.Schema.Select(Describe)];

        // numpy (3, 1, 1).tolist() through pyarrow: list<list<list<double>>>.
        int at = Array.IndexOf(described, "stats/observation.image/mean OPTIONAL group LIST children=1");
        Assert.True(at > 0, string.Join(" | ", described));
        Assert.Equal(
            ["list REPEATED group children=1", "element OPTIONAL group LIST children=1", "list REPEATED group children=1",
             "element OPTIONAL group LIST children=1", "list REPEATED group children=1", "element OPTIONAL DOUBLE"],
            described[(at + 1)..(at + 7)]);
        int count = Array.IndexOf(described, "stats/observation.image/count OPTIONAL group LIST children=1");
        Assert.Equal("element OPTIONAL INT64", described[count + 2]);
    }

    [Fact]
    public async Task Read_PngCellsWrittenByPil_DecodeToThePixelsPilWasGiven()
    {
        // LeRobot's cells are PIL PNGs (compress_level 6); the writer hands PNG frames on unchanged, so this dataset's
        // cells are byte-for-byte PIL's.
        var feature = CameraFixtures.Camera;
        string dir = scratch.Combine("pil-frames");
        Directory.CreateDirectory(dir);
        var expected = new List<byte[]>();
        for (int t = 0; t < 4; t++)
        {
            byte[] frame = CameraFixtures.Frame(feature, 3, t);
            expected.Add(frame);
            File.WriteAllText(Path.Combine(dir, $"frame-{t:D6}.hex"), Convert.ToHexStringLower(frame));
        }
        PythonOracle.Run("""
            import sys, glob, numpy as np, PIL.Image
            h, w = int(sys.argv[2]), int(sys.argv[3])
            for path in sorted(glob.glob(sys.argv[1] + "/*.hex")):
                array = np.frombuffer(bytes.fromhex(open(path).read()), dtype=np.uint8).reshape(h, w, 3)
                PIL.Image.fromarray(array).save(path[:-4] + ".png", compress_level=6)
            """, dir, $"{feature.Height}", $"{feature.Width}");
        byte[][] pngs = [.. Enumerable.Range(0, 4).Select(t => File.ReadAllBytes(Path.Combine(dir, $"frame-{t:D6}.png")))];
        var episode = CameraFixtures.WithImages(DatasetFixtures.MakeEpisode(0, 4), new PngImageFrames(feature, pngs));
        var dataset = new DemonstrationDataset([episode], 10, ["x", "y"], ["a"], ["task"]);
        string root = scratch.Combine("pil");

        await new LeRobotDatasetWriter().WriteAsync(dataset, root);
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        var frames = Assert.IsType<PngImageFrames>(read.Episodes[0].Images["observation.image"]);
        var buffer = new byte[feature.FrameBytes];
        for (int t = 0; t < 4; t++)
        {
            Assert.Equal(pngs[t], frames.Png(t).ToArray());
            frames.CopyFrame(t, buffer);
            Assert.Equal(expected[t], buffer);
        }
    }

    [Fact]
    public async Task Read_ChannelsFirstShapeDeclaration_IsUnderstoodAsHeightWidthChannels()
    {
        string root = scratch.Combine("chw");
        DemonstrationDataset dataset = CameraFixtures.MakeDataset(CameraFixtures.Camera, 2);
        await new LeRobotDatasetWriter().WriteAsync(dataset, root);
        RewriteInfo(root, info =>
        {
            JsonObject feature = info["features"]!["observation.image"]!.AsObject();
            feature["shape"] = new JsonArray(3, 12, 16);
            feature["names"] = new JsonArray("channels", "height", "width");
        });

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        Assert.Equal([CameraFixtures.Camera], read.ImageFeatures);
        CameraFixtures.AssertSameFrames(dataset, read);
    }

    [Fact]
    public async Task Read_WithSkipCameraFeatures_LeavesCamerasOut()
    {
        string root = scratch.Combine("skip");
        DemonstrationDataset dataset = CameraFixtures.MakeDataset(CameraFixtures.Camera, 2, 3);
        await new LeRobotDatasetWriter().WriteAsync(dataset, root);

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root, new LeRobotReaderOptions { SkipCameraFeatures = true });

        Assert.Empty(read.ImageFeatures);
        DatasetFixtures.AssertSameDataset(dataset, read);
    }

    [Fact]
    public async Task Read_ImageShapeThatDisagreesWithTheStoredPngs_FailsNamingFileFeatureAndShapes()
    {
        string root = scratch.Combine("lying-shape");
        await new LeRobotDatasetWriter().WriteAsync(CameraFixtures.MakeDataset(CameraFixtures.Camera, 2), root);
        RewriteInfo(root, info => info["features"]!["observation.image"]!["shape"] = new JsonArray(12, 15, 3));

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);
        var error = Assert.Throws<InvalidDataException>(() =>
            read.Episodes[0].Images["observation.image"].CopyFrame(1, new byte[12 * 15 * 3]));

        Assert.Contains("data/chunk-000/file-000.parquet", error.Message, StringComparison.Ordinal);
        Assert.Contains("'observation.image'", error.Message, StringComparison.Ordinal);
        Assert.Contains("frame 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("12 x 16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_ImageFeatureWithABadShape_FailsNamingInfoJsonAndTheFeature()
    {
        string root = scratch.Combine("bad-shape");
        await new LeRobotDatasetWriter().WriteAsync(CameraFixtures.MakeDataset(CameraFixtures.Camera, 2), root);
        RewriteInfo(root, info => info["features"]!["observation.image"]!["shape"] = new JsonArray(12, 16));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => LeRobotDatasetReader.ReadAsync(root));

        Assert.Contains("meta/info.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("'observation.image'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_FramesThatAreNotTheDeclaredSize_FailNamingTheFeature()
    {
        var feature = CameraFixtures.Camera;
        byte[] wrongSize = PngCodec.Encode(new ImageFeature("x", 3, 3, 3), new byte[27]);
        var episode = CameraFixtures.WithImages(DatasetFixtures.MakeEpisode(0, 2), new PngImageFrames(feature, [wrongSize, wrongSize]));
        var dataset = new DemonstrationDataset([episode], 10, ["x", "y"], ["a"], ["task"]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new LeRobotDatasetWriter().WriteAsync(dataset, scratch.Combine("never")));

        Assert.Contains("'observation.image'", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(scratch.Combine("never")));
    }

    internal static void RewriteInfo(string root, Action<JsonObject> change)
    {
        string path = Path.Combine(root, "meta/info.json");
        JsonObject info = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(info);
        File.WriteAllText(path, info.ToJsonString());
    }

    internal static async Task<FileMetaData> ReadFooterAsync(string path)
    {
        await using ParquetReader reader = await ParquetReader.CreateAsync(path);
        return reader.Metadata!;
    }

    internal static string Describe(SchemaElement e)
    {
        string repetition = e.RepetitionType is { } r ? $" {r}" : "";
        string physical = e.Type is { } t ? $" {t}" : " group";
        string logical = e.LogicalType?.LIST is not null ? " LIST" : e.LogicalType?.STRING is not null ? " STRING" : "";
        string children = e.NumChildren is { } c ? $" children={c}" : "";
        return $"{e.Name}{repetition}{physical}{logical}{children}";
    }
}
