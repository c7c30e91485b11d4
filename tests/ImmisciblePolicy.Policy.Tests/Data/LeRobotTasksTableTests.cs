using System.Text.Json;
using System.Text.Json.Nodes;
using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>meta/tasks.parquet as LeRobot writes and reads it: the task text is the pandas index.</summary>
public sealed class LeRobotTasksTableTests : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    private async Task<(string Root, DemonstrationDataset Dataset)> WriteAsync()
    {
        string root = scratch.Combine("ds");
        DemonstrationDataset dataset = DatasetFixtures.MakeDataset(3, 5);
        await new LeRobotDatasetWriter().WriteAsync(dataset, root);
        return (root, dataset);
    }

    [Fact]
    public async Task TasksParquet_FooterPandasMetadata_DescribesTheTaskColumnAsTheIndex()
    {
        var (root, _) = await WriteAsync();
        await using var table = await ParquetTableReader.OpenAsync(root, LeRobotLayout.TasksPath, CancellationToken.None);

        Assert.Equal(["task_index", "task"], table.ColumnNames);
        JsonNode pandas = JsonNode.Parse(table.KeyValueMetadata["pandas"])!;
        // What pyarrow's construct_metadata writes for pd.DataFrame({"task_index": ...}, index=pd.Index(tasks, name="task")).
        Assert.Equal("""["task"]""", pandas["index_columns"]!.ToJsonString());
        Assert.Equal(
            """[{"name":"task_index","field_name":"task_index","pandas_type":"int64","numpy_type":"int64","metadata":null},""" +
            """{"name":"task","field_name":"task","pandas_type":"unicode","numpy_type":"object","metadata":null}]""",
            pandas["columns"]!.ToJsonString());
        Assert.Equal(
            """[{"name":null,"field_name":null,"pandas_type":"unicode","numpy_type":"object","metadata":{"encoding":"UTF-8"}}]""",
            pandas["column_indexes"]!.ToJsonString());
    }

    [Fact]
    public async Task TasksParquet_ReadTheWayLeRobotReadsIt_GivesTheTextForEveryTaskIndex()
    {
        SystemPython.Require("pandas", "numpy");
        var (root, dataset) = await WriteAsync();
        await using var table = await ParquetTableReader.OpenAsync(root, LeRobotLayout.TasksPath, CancellationToken.None);
        // Debian bookworm has neither pyarrow nor fastparquet, so the peer parses the footer itself and takes the
        // decoded column values from us (the only part it cannot do); see tests/peers/lerobot_tasks_check.py.
        string values = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["task_index"] = await table.ReadInt64Async("task_index", CancellationToken.None),
            ["task"] = await table.ReadStringAsync("task", CancellationToken.None),
        });

        var (code, stdout, stderr) = SystemPython.Run([SystemPython.Peer("lerobot_tasks_check.py"), Path.Combine(root, LeRobotLayout.TasksPath)], values);

        Assert.True(code == 0 && stdout.Trim() == "ok", $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Equal(dataset.Tasks, await table.ReadStringAsync("task", CancellationToken.None));
    }

    [Fact]
    public async Task Reader_StillReadsATasksFileWithoutPandasMetadata()
    {
        var (root, dataset) = await WriteAsync();
        // The layout this project wrote before: the same two columns, no footer metadata.
        var old = new ParquetTableWriter();
        old.AddInt64("task_index", [0, 1]);
        old.AddString("task", [.. dataset.Tasks]);
        await old.WriteAsync(Path.Combine(root, LeRobotLayout.TasksPath), null, CancellationToken.None);

        Assert.Equal(dataset.Tasks, (await LeRobotDatasetReader.ReadAsync(root)).Tasks);
    }

    [Fact]
    public async Task Reader_FindsAnUnnamedPandasIndexThroughTheMetadata()
    {
        var (root, dataset) = await WriteAsync();
        // pd.DataFrame({"task_index": [0, 1]}, index=[...]).to_parquet: the unnamed index is stored as __index_level_0__.
        var unnamed = new ParquetTableWriter();
        unnamed.AddInt64("task_index", [1, 0]);
        unnamed.AddString("__index_level_0__", [dataset.Tasks[1], dataset.Tasks[0]]);
        var metadata = new Dictionary<string, string> { ["pandas"] = """{"index_columns": ["__index_level_0__"], "columns": []}""" };
        await unnamed.WriteAsync(Path.Combine(root, LeRobotLayout.TasksPath), metadata, CancellationToken.None);

        Assert.Equal(dataset.Tasks, (await LeRobotDatasetReader.ReadAsync(root)).Tasks);
    }
}
