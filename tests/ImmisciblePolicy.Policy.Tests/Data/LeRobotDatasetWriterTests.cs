using System.Text.Json.Nodes;
using ImmisciblePolicy.Policy.Data;
using Parquet;
using Parquet.Meta;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class LeRobotDatasetWriterTests : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task WriteThenRead_RoundTripsEveryValueExactly()
    {
        DemonstrationDataset dataset = DatasetFixtures.MakeDataset(3, 5);
        string root = scratch.Combine("pusht");

        await new LeRobotDatasetWriter().WriteAsync(dataset, root);
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        DatasetFixtures.AssertSameDataset(dataset, read);
    }

    [Fact]
    public async Task WriteThenRead_WithoutOptionalSignals_RoundTrips()
    {
        DemonstrationDataset dataset = DatasetFixtures.MakeBareDataset(4, 1, 2);
        string root = scratch.Combine("bare");

        await new LeRobotDatasetWriter().WriteAsync(dataset, root);
        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        DatasetFixtures.AssertSameDataset(dataset, read);
        JsonObject features = ReadJson(root, "meta/info.json")["features"]!.AsObject();
        Assert.False(features.ContainsKey("next.reward"));
        Assert.False(features.ContainsKey("next.done"));
    }

    [Fact]
    public async Task Write_WithTinyFileSizeAndChunksOfTwo_SpreadsEpisodesOverFilesAndChunks_AndReadsBack()
    {
        DemonstrationDataset dataset = DatasetFixtures.MakeDataset(3, 2, 4);
        string root = scratch.Combine("multi");
        var writer = new LeRobotDatasetWriter(new LeRobotWriterOptions { ChunksSize = 2, DataFilesSizeInMb = 1e-6 });

        await writer.WriteAsync(dataset, root);

        // One episode per file (each exceeds ~1 byte); the third file rolls into chunk-001.
        Assert.True(File.Exists(Path.Combine(root, "data/chunk-000/file-000.parquet")));
        Assert.True(File.Exists(Path.Combine(root, "data/chunk-000/file-001.parquet")));
        Assert.True(File.Exists(Path.Combine(root, "data/chunk-001/file-000.parquet")));
        DatasetFixtures.AssertSameDataset(dataset, await LeRobotDatasetReader.ReadAsync(root));
    }

    [Fact]
    public async Task Write_InfoJson_HasTheV30FieldsAndFeatureMap()
    {
        DemonstrationDataset dataset = DatasetFixtures.MakeDataset(3, 5);
        string root = scratch.Combine("info");
        await new LeRobotDatasetWriter().WriteAsync(dataset, root);

        JsonObject info = ReadJson(root, "meta/info.json");
        Assert.Equal("v3.0", (string?)info["codebase_version"]);
        Assert.Equal(10, (int)info["fps"]!);
        Assert.Equal("2d pointer", (string?)info["robot_type"]);
        Assert.Equal(2, (int)info["total_episodes"]!);
        Assert.Equal(8, (int)info["total_frames"]!);
        Assert.Equal(2, (int)info["total_tasks"]!);
        Assert.Equal(1000, (int)info["chunks_size"]!);
        Assert.Equal(100.0, (double)info["data_files_size_in_mb"]!);
        Assert.Equal("0:2", (string?)info["splits"]!["train"]);
        Assert.Equal("data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet", (string?)info["data_path"]);
        // No video features, so no video path (LeRobot's create_empty_dataset_info writes null then).
        Assert.True(info.ContainsKey("video_path"));
        Assert.Null(info["video_path"]);

        JsonObject features = info["features"]!.AsObject();
        Assert.Equal(
            ["observation.state", "action", "next.reward", "next.success", "next.done",
             "timestamp", "frame_index", "episode_index", "index", "task_index"],
            features.Select(kv => kv.Key));
        Assert.Equal("""{"dtype":"float32","shape":[2],"names":["agent_x","agent_y"]}""", features["observation.state"]!.ToJsonString());
        Assert.Equal("""{"dtype":"float32","shape":[1],"names":["target"]}""", features["action"]!.ToJsonString());
        Assert.Equal("""{"dtype":"bool","shape":[1],"names":null}""", features["next.done"]!.ToJsonString());
        Assert.Equal("""{"dtype":"int64","shape":[1],"names":null}""", features["index"]!.ToJsonString());
        Assert.Equal("""{"dtype":"float32","shape":[1],"names":null}""", features["timestamp"]!.ToJsonString());
    }

    [Fact]
    public async Task WriteThenRead_WithEnvironmentStateAndModeLabels_RoundTrips()
    {
        DemonstrationDataset dataset = DatasetFixtures.MakeModalDataset(3, 4, 2);
        string root = scratch.Combine("modal");

        await new LeRobotDatasetWriter().WriteAsync(dataset, root);

        DatasetFixtures.AssertSameDataset(dataset, await LeRobotDatasetReader.ReadAsync(root));
        Assert.Equal([("clockwise", 2.0 / 3), ("counterclockwise", 1.0 / 3)], dataset.ModeShares);
    }

    [Fact]
    public async Task Write_EnvironmentStateAndModes_AreSeparateFeaturesAndColumns()
    {
        string root = scratch.Combine("modal-layout");
        await new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeModalDataset(3, 4), root);

        JsonObject features = ReadJson(root, "meta/info.json")["features"]!.AsObject();
        // LeRobot's pusht_keypoints layout: the agent is observation.state, the block is observation.environment_state.
        Assert.Equal("""{"dtype":"float32","shape":[1],"names":["agent.x"]}""", features["observation.state"]!.ToJsonString());
        Assert.Equal("""{"dtype":"float32","shape":[2],"names":["corner0.x","corner0.y"]}""", features["observation.environment_state"]!.ToJsonString());
        Assert.Equal("""{"dtype":"int64","shape":[1],"names":null,"info":{"mode_names":["clockwise","counterclockwise"]}}""",
            features["episode_mode"]!.ToJsonString());

        await using var data = await ParquetTableReader.OpenAsync(root, "data/chunk-000/file-000.parquet", CancellationToken.None);
        var ct = CancellationToken.None;
        Assert.Equal(new float[] { 0, 0.5f, 1, 7, 7.5f, 8, 8.5f }, await data.ReadFloatListAsync("observation.state", 1, ct));
        Assert.Equal(new float[] { 0, 0, 1, -1, 2, -2, 1000, 0, 1001, -1, 1002, -2, 1003, -3 },
            await data.ReadFloatListAsync("observation.environment_state", 2, ct));
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 1, 1 }, await data.ReadInt64Async("episode_mode", ct));
        await using var episodes = await ParquetTableReader.OpenAsync(root, "meta/episodes/chunk-000/file-000.parquet", ct);
        Assert.Equal(new long[] { 0, 1 }, await episodes.ReadInt64Async("episode_mode", ct));

        JsonObject stats = ReadJson(root, "meta/stats.json");
        Assert.Equal([1003.0, 0.0], Doubles(stats["observation.environment_state"]!["max"]));
        Assert.Equal([4.0 / 7], Doubles(stats["episode_mode"]!["mean"]));  // 4 of the 7 frames are mode 1
    }

    [Fact]
    public async Task Read_ModeLabelThatChangesWithinAnEpisode_IsRejectedNamingTheRow()
    {
        string root = scratch.Combine("modal-bad");
        await new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeModalDataset(3), root);
        var table = new ParquetTableWriter();
        table.AddList("observation.state", new float[] { 0, 0.5f, 1 }, 1);
        table.AddList("observation.environment_state", new float[] { 0, 0, 1, -1, 2, -2 }, 2);
        table.AddList("action", new float[] { 0, 0, 0, 1, 0, 2 }, 2);
        table.AddInt64("episode_mode", [0, 1, 0]);
        table.AddFloat("timestamp", [0f, 0.1f, 0.2f]);
        table.AddInt64("frame_index", [0, 1, 2]);
        table.AddInt64("episode_index", [0, 0, 0]);
        table.AddInt64("index", [0, 1, 2]);
        table.AddInt64("task_index", [0, 0, 0]);
        await table.WriteAsync(Path.Combine(root, "data/chunk-000/file-000.parquet"), null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => LeRobotDatasetReader.ReadAsync(root));

        Assert.Contains("episode_mode changes from 0 to 1 within the episode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_DataParquet_HasExactlyTheSpecifiedPhysicalSchema()
    {
        string root = scratch.Combine("schema");
        await new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeDataset(3, 5), root);

        FileMetaData meta = await ReadFooterAsync(Path.Combine(root, "data/chunk-000/file-000.parquet"));
        // Flattened schema: the root (pyarrow names it "schema", Parquet.Net "root"; readers ignore it), then each top-level column; list columns as the standard
        // three-level LIST group (optional group (LIST) > repeated group "list" > optional leaf "element").
        string[] expected =
        [
            "root group children=10",
            "observation.state OPTIONAL group LIST children=1", "list REPEATED group children=1", "element OPTIONAL FLOAT",
            "action OPTIONAL group LIST children=1", "list REPEATED group children=1", "element OPTIONAL FLOAT",
            "next.reward OPTIONAL FLOAT",
            "next.success OPTIONAL BOOLEAN",
            "next.done OPTIONAL BOOLEAN",
            "timestamp OPTIONAL FLOAT",
            "frame_index OPTIONAL INT64",
            "episode_index OPTIONAL INT64",
            "index OPTIONAL INT64",
            "task_index OPTIONAL INT64",
        ];
        Assert.Equal(expected, meta.Schema.Select(Describe));
        Assert.Equal(8, meta.NumRows);
        Assert.All(meta.RowGroups.SelectMany(rg => rg.Columns), c => Assert.Equal(CompressionCodec.SNAPPY, c.MetaData!.Codec));

        // `datasets` restores fixed-length Sequence features from this key.
        string hf = meta.KeyValueMetadata!.Single(kv => kv.Key == "huggingface").Value!;
        JsonNode state = JsonNode.Parse(hf)!["info"]!["features"]!["observation.state"]!;
        Assert.Equal("""{"feature":{"dtype":"float32","_type":"Value"},"length":2,"_type":"Sequence"}""", state.ToJsonString());
    }

    [Fact]
    public async Task Write_EpisodesAndTasksParquet_HaveTheSpecifiedColumnsAndTypes()
    {
        string root = scratch.Combine("episodes");
        await new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeDataset(3, 5), root);

        FileMetaData tasks = await ReadFooterAsync(Path.Combine(root, "meta/tasks.parquet"));
        Assert.Equal(["root group children=2", "task_index OPTIONAL INT64", "task OPTIONAL BYTE_ARRAY STRING"], tasks.Schema.Select(Describe));

        FileMetaData episodes = await ReadFooterAsync(Path.Combine(root, "meta/episodes/chunk-000/file-000.parquet"));
        string[] described = [.. episodes.Schema.Select(Describe)];
        string[] scalars = ["episode_index", "length", "data/chunk_index", "data/file_index", "dataset_from_index",
            "dataset_to_index", "meta/episodes/chunk_index", "meta/episodes/file_index"];
        foreach (string column in scalars)
            Assert.Contains($"{column} OPTIONAL INT64", described);
        int tasksAt = Array.IndexOf(described, "tasks OPTIONAL group LIST children=1");
        Assert.Equal("element OPTIONAL BYTE_ARRAY STRING", described[tasksAt + 2]);
        int meanAt = Array.IndexOf(described, "stats/observation.state/mean OPTIONAL group LIST children=1");
        Assert.Equal("element OPTIONAL DOUBLE", described[meanAt + 2]);
        int countAt = Array.IndexOf(described, "stats/action/count OPTIONAL group LIST children=1");
        Assert.Equal("element OPTIONAL INT64", described[countAt + 2]);
        Assert.Contains("stats/next.done/q99 OPTIONAL group LIST children=1", described);
        Assert.Equal(2, episodes.NumRows);
    }

    [Fact]
    public async Task Write_EpisodesTable_HoldsLengthsFrameRangesFilesAndTaskTexts()
    {
        string root = scratch.Combine("episode-rows");
        DemonstrationDataset dataset = DatasetFixtures.MakeDataset(3, 5);
        await new LeRobotDatasetWriter().WriteAsync(dataset, root);

        await using var table = await ParquetTableReader.OpenAsync(root, "meta/episodes/chunk-000/file-000.parquet", CancellationToken.None);
        var ct = CancellationToken.None;

        Assert.Equal(new long[] { 0, 1 }, await table.ReadInt64Async("episode_index", ct));
        Assert.Equal(new long[] { 3, 5 }, await table.ReadInt64Async("length", ct));
        Assert.Equal(new long[] { 0, 3 }, await table.ReadInt64Async("dataset_from_index", ct));
        Assert.Equal(new long[] { 3, 8 }, await table.ReadInt64Async("dataset_to_index", ct));
        Assert.Equal(new long[] { 0, 0 }, await table.ReadInt64Async("data/chunk_index", ct));
        Assert.Equal(new long[] { 0, 0 }, await table.ReadInt64Async("data/file_index", ct));
        string[][] tasks = await table.ReadStringListAsync("tasks", ct);
        Assert.Equal([[dataset.Tasks[0]], [dataset.Tasks[1]]], tasks);
    }

    [Fact]
    public async Task Write_StatsJson_HoldsGoldenStatisticsOfEveryFeature()
    {
        // Episodes of 3 and 5 frames: states (t, -t) then (10 + t, -(10 + t)); actions t then 100 + t.
        string root = scratch.Combine("stats");
        await new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeDataset(3, 5), root);
        JsonObject stats = ReadJson(root, "meta/stats.json");

        double[] state0 = [0, 1, 2, 10, 11, 12, 13, 14];
        double mean = state0.Average();
        double std = Math.Sqrt(state0.Sum(v => (v - mean) * (v - mean)) / state0.Length);
        JsonNode s = stats["observation.state"]!;
        Assert.Equal([0.0, -14.0], Doubles(s["min"]));
        Assert.Equal([14.0, 0.0], Doubles(s["max"]));
        Assert.Equal(mean, Doubles(s["mean"])[0], 12);
        Assert.Equal(-mean, Doubles(s["mean"])[1], 12);
        Assert.Equal(std, Doubles(s["std"])[0], 12);
        Assert.Equal([8.0], Doubles(s["count"]));
        // numpy linear quantile of the sorted 8 values at q (n - 1): q50 -> position 3.5 -> (10 + 11) / 2.
        Assert.Equal(10.5, Doubles(s["q50"])[0], 12);
        Assert.Equal(0 + 0.07 * 1, Doubles(s["q01"])[0], 12);

        Assert.Equal([0.0], Doubles(stats["frame_index"]!["min"]));
        Assert.Equal([4.0], Doubles(stats["frame_index"]!["max"]));
        Assert.Equal([7.0], Doubles(stats["index"]!["max"]));
        Assert.Equal([2.0 / 8], Doubles(stats["next.done"]!["mean"]));
    }

    [Fact]
    public async Task Write_WhenAFileFailsMidway_LeavesNoTargetAndNoTemporaryDirectory()
    {
        string root = scratch.Combine("never");
        var writer = new LeRobotDatasetWriter
        {
            FileWritten = path => { if (path == LeRobotLayout.TasksPath) throw new IOException("disk full (injected)"); },
        };

        var error = await Assert.ThrowsAsync<IOException>(() => writer.WriteAsync(DatasetFixtures.MakeDataset(3, 5), root));

        Assert.Equal("disk full (injected)", error.Message);
        Assert.False(Directory.Exists(root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch.Path));
    }

    [Fact]
    public async Task Overwrite_WhenTheNewWriteFails_KeepsTheOldDatasetIntact()
    {
        string root = scratch.Combine("kept");
        DemonstrationDataset old = DatasetFixtures.MakeDataset(2);
        await new LeRobotDatasetWriter().WriteAsync(old, root);
        var failing = new LeRobotDatasetWriter(new LeRobotWriterOptions { Overwrite = true })
        {
            FileWritten = path => { if (path.StartsWith("data/", StringComparison.Ordinal)) throw new IOException("injected"); },
        };

        await Assert.ThrowsAsync<IOException>(() => failing.WriteAsync(DatasetFixtures.MakeDataset(3, 5), root));

        DatasetFixtures.AssertSameDataset(old, await LeRobotDatasetReader.ReadAsync(root));
        Assert.Equal(["kept"], Directory.EnumerateFileSystemEntries(scratch.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Overwrite_ReplacesAnExistingDataset_AndWithoutItTheWriterRefuses()
    {
        string root = scratch.Combine("replace");
        await new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeDataset(2), root);

        await Assert.ThrowsAsync<IOException>(() => new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeDataset(4), root));
        DemonstrationDataset replacement = DatasetFixtures.MakeDataset(3, 5);
        await new LeRobotDatasetWriter(new LeRobotWriterOptions { Overwrite = true }).WriteAsync(replacement, root);

        DatasetFixtures.AssertSameDataset(replacement, await LeRobotDatasetReader.ReadAsync(root));
        Assert.Equal(["replace"], Directory.EnumerateFileSystemEntries(scratch.Path).Select(Path.GetFileName));
    }

    internal static JsonObject ReadJson(string root, string relative) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(root, relative)))!.AsObject();

    private static double[] Doubles(JsonNode? node) => [.. node!.AsArray().Select(v => (double)v!)];

    private static async Task<FileMetaData> ReadFooterAsync(string path)
    {
        await using ParquetReader reader = await ParquetReader.CreateAsync(path);
        return reader.Metadata!;
    }

    private static string Describe(SchemaElement e)
    {
        string repetition = e.RepetitionType is { } r ? $" {r}" : "";
        string physical = e.Type is { } t ? $" {t}" : " group";
        string logical = e.LogicalType?.LIST is not null ? " LIST" : e.LogicalType?.STRING is not null ? " STRING" : "";
        string children = e.NumChildren is { } c ? $" children={c}" : "";
        return $"{e.Name}{repetition}{physical}{logical}{children}";
    }
}
