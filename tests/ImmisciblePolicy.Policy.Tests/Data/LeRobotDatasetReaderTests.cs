using System.Text.Json.Nodes;
using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class LeRobotDatasetReaderTests : IDisposable
{
    private const string DataFile = "data/chunk-000/file-000.parquet";
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>Writes a valid 1-episode, 3-frame dataset (no next.* signals) and returns its root.</summary>
    private async Task<string> WriteValidAsync()
    {
        string root = scratch.Combine("ds");
        await new LeRobotDatasetWriter().WriteAsync(DatasetFixtures.MakeBareDataset(3), root);
        return root;
    }

    /// <summary>Replaces the data file with hand-built columns, optionally dropping or corrupting one.</summary>
    private static Task RewriteDataFileAsync(
        string root, string? omit = null, long[]? frameIndex = null, bool stateAsFloat64 = false)
    {
        var table = new ParquetTableWriter();
        if (stateAsFloat64)
            table.AddList("observation.state", new double[] { 0, 0, 1, -1, 2, -2 }, 2);
        else if (omit != "observation.state")
            table.AddList("observation.state", new float[] { 0, 0, 1, -1, 2, -2 }, 2);
        if (omit != "action")
            table.AddList("action", new float[] { 0, 1, 2 }, 1);
        table.AddFloat("timestamp", [0f, 0.1f, 0.2f]);
        table.AddInt64("frame_index", frameIndex ?? [0, 1, 2]);
        table.AddInt64("episode_index", [0, 0, 0]);
        table.AddInt64("index", [0, 1, 2]);
        table.AddInt64("task_index", [0, 0, 0]);
        return table.WriteAsync(Path.Combine(root, DataFile), null, CancellationToken.None);
    }

    private static async Task<InvalidDataException> ReadFailsAsync(string root) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => LeRobotDatasetReader.ReadAsync(root));

    [Fact]
    public async Task HandBuiltDataFile_WithAllColumns_Reads()
    {
        string root = await WriteValidAsync();
        await RewriteDataFileAsync(root);

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        Assert.Equal(new float[] { 0, 0, 1, -1, 2, -2 }, read.Episodes[0].States.ToArray());
        Assert.Equal(new float[] { 0, 1, 2 }, read.Episodes[0].Actions.ToArray());
    }

    [Fact]
    public async Task MissingColumn_ErrorNamesFileAndColumnAndListsWhatWasFound()
    {
        string root = await WriteValidAsync();
        await RewriteDataFileAsync(root, omit: "action");

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Contains(DataFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("column 'action'", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("found columns [observation.state, timestamp, frame_index, episode_index, index, task_index]", error.Message, StringComparison.Ordinal);
        Assert.Equal(DataFile, error.Data[LeRobotFormatError.FileKey]);
    }

    [Fact]
    public async Task WrongDtype_ErrorNamesFoundAndExpectedTypes()
    {
        string root = await WriteValidAsync();
        await RewriteDataFileAsync(root, stateAsFloat64: true);

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Contains(DataFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("column 'observation.state' has type list<float64>, expected list<float32>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InconsistentFrameIndex_ErrorNamesRowAndValues()
    {
        string root = await WriteValidAsync();
        await RewriteDataFileAsync(root, frameIndex: [0, 5, 2]);

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Contains(DataFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("episode 0, row 1: frame_index is 5, expected 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedParquetFile_ErrorNamesFileAsUnreadable()
    {
        string root = await WriteValidAsync();
        string path = Path.Combine(root, DataFile);
        byte[] bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Contains(DataFile, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"LeRobot dataset file '{DataFile}': not a readable Parquet file (", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingTasksFile_ErrorNamesIt()
    {
        string root = await WriteValidAsync();
        File.Delete(Path.Combine(root, "meta/tasks.parquet"));

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Equal("LeRobot dataset file 'meta/tasks.parquet': file is missing", error.Message);
    }

    [Theory]
    [InlineData("v2.1")]
    [InlineData("v4.0")]
    public async Task CodebaseVersionOtherThanV3_IsRejectedNamingInfoJson(string version)
    {
        string root = await WriteValidAsync();
        EditInfo(root, info => info["codebase_version"] = version);

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Contains("meta/info.json", error.Message, StringComparison.Ordinal);
        Assert.Contains($"codebase_version is '{version}', expected v3.x", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CodebaseVersionV31_IsAccepted()
    {
        string root = await WriteValidAsync();
        EditInfo(root, info => info["codebase_version"] = "v3.1");

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        Assert.Equal(3, read.TotalFrames);
    }

    [Fact]
    public async Task TotalFramesDisagreeingWithEpisodes_IsRejected()
    {
        string root = await WriteValidAsync();
        EditInfo(root, info => info["total_frames"] = 4);

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Contains("meta/info.json': total_frames is 4 but the episodes hold 3 frames", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FeatureDtypeInInfoJsonOtherThanFloat32_IsRejected()
    {
        string root = await WriteValidAsync();
        EditInfo(root, info => info["features"]!["action"]!["dtype"] = "float64");

        InvalidDataException error = await ReadFailsAsync(root);

        Assert.Contains("feature 'action' has dtype 'float64', expected 'float32'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamesAsLeRobotMotorsDictionary_AreUnderstood()
    {
        string root = await WriteValidAsync();
        EditInfo(root, info => info["features"]!["observation.state"]!["names"] = new JsonObject { ["motors"] = new JsonArray("px", "py") });

        DemonstrationDataset read = await LeRobotDatasetReader.ReadAsync(root);

        Assert.Equal(["px", "py"], read.StateNames);
    }

    [Fact]
    public async Task EpisodesMetadataSplitOverSeveralFiles_IsReadAsOneTable()
    {
        // Three episodes in three data files (two chunks), and the episodes table split as LeRobot does
        // once it grows: rows 0-1 in meta/episodes/chunk-000/file-000, row 2 in chunk-000/file-001.
        string root = scratch.Combine("split");
        DemonstrationDataset dataset = DatasetFixtures.MakeDataset(3, 2, 4);
        await new LeRobotDatasetWriter(new LeRobotWriterOptions { ChunksSize = 2, DataFilesSizeInMb = 1e-6 }).WriteAsync(dataset, root);
        File.Delete(Path.Combine(root, "meta/episodes/chunk-000/file-000.parquet"));
        await WriteEpisodesAsync(root, "meta/episodes/chunk-000/file-001.parquet", [2], [4], [1], [0], [5]);
        await WriteEpisodesAsync(root, "meta/episodes/chunk-000/file-000.parquet", [0, 1], [3, 2], [0, 0], [0, 1], [0, 3]);

        DatasetFixtures.AssertSameDataset(dataset, await LeRobotDatasetReader.ReadAsync(root));
    }

    private static Task WriteEpisodesAsync(string root, string file, long[] episode, long[] length, long[] chunk, long[] fileIndex, long[] from)
    {
        var table = new ParquetTableWriter();
        table.AddInt64("episode_index", episode);
        table.AddInt64("length", length);
        table.AddInt64("data/chunk_index", chunk);
        table.AddInt64("data/file_index", fileIndex);
        table.AddInt64("dataset_from_index", from);
        table.AddInt64("dataset_to_index", [.. from.Zip(length, (f, l) => f + l)]);
        return table.WriteAsync(Path.Combine(root, file), null, CancellationToken.None);
    }

    private static void EditInfo(string root, Action<JsonObject> edit)
    {
        string path = Path.Combine(root, "meta/info.json");
        JsonObject info = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(info);
        File.WriteAllText(path, info.ToJsonString());
    }
}
