using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Reads a LeRobot v3.0 dataset (as <see cref="LeRobotDatasetWriter"/> or LeRobot itself writes it, any
/// number of data files and chunks) into a <see cref="DemonstrationDataset"/>. Only observation.state,
/// observation.environment_state (prepended to each state row, see <see cref="DemonstrationDataset"/>), action, the
/// next.* signals and our episode_mode labels are loaded; image/video features are ignored. Everything is checked:
/// info.json version and features, column presence and types, per-episode lengths, frame and global
/// indices. Problems surface as <see cref="InvalidDataException"/> naming the file and what is wrong.
/// </summary>
public static class LeRobotDatasetReader
{
    public static async Task<DemonstrationDataset> ReadAsync(string root, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"LeRobot dataset directory '{root}' does not exist");

        Info info = ReadInfo(root);
        string[] tasks = await ReadTasksAsync(root, cancellationToken).ConfigureAwait(false);
        EpisodeRow[] rows = await ReadEpisodeRowsAsync(root, info, cancellationToken).ConfigureAwait(false);

        var episodes = new Episode[rows.Length];
        foreach (var file in rows.GroupBy(r => (r.Chunk, r.File)).OrderBy(g => g.Key))
        {
            string relative = LeRobotLayout.FormatChunkFile(info.DataPath, file.Key.Chunk, file.Key.File);
            await using ParquetTableReader table = await ParquetTableReader.OpenAsync(root, relative, cancellationToken).ConfigureAwait(false);
            DataColumns data = await ReadDataColumnsAsync(table, info, cancellationToken).ConfigureAwait(false);
            foreach (EpisodeRow row in file)
                episodes[row.EpisodeIndex] = SliceEpisode(relative, data, row, info, tasks.Length);
        }

        long totalFrames = episodes.Sum(e => (long)e.Length);
        if (totalFrames != info.TotalFrames)
            throw LeRobotFormatError.Create(LeRobotLayout.InfoPath, $"total_frames is {info.TotalFrames} but the episodes hold {totalFrames} frames");
        return new DemonstrationDataset(episodes, info.Fps, [.. info.EnvironmentNames, .. info.StateNames], info.ActionNames, tasks, info.RobotType,
            info.EnvironmentNames.Length, info.ModeNames);
    }

    private sealed record Info(
        int Fps, string? RobotType, long TotalEpisodes, long TotalFrames, string DataPath,
        string[] StateNames, string[] EnvironmentNames, string[] ActionNames, bool HasRewards, bool HasSuccesses, bool HasDones,
        string[]? ModeNames);

    private sealed record EpisodeRow(int EpisodeIndex, long Length, long Chunk, long File, long From, long To);

    private sealed record DataColumns(
        float[] States, float[] Actions, float[] Timestamps, float[]? Rewards, bool[]? Successes, bool[]? Dones,
        long[] FrameIndex, long[] EpisodeIndex, long[] Index, long[] TaskIndex, long[]? Modes);

    private static Info ReadInfo(string root)
    {
        const string file = LeRobotLayout.InfoPath;
        string path = Path.Combine(root, file);
        if (!File.Exists(path))
            throw LeRobotFormatError.Create(file, "file is missing");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw LeRobotFormatError.Create(file, "expected a JSON object at the top level");
        }
        catch (JsonException ex)
        {
            throw LeRobotFormatError.Create(file, $"is not valid JSON ({ex.Message})", ex);
        }

        string version = GetString(json, "codebase_version", file);
        if (!version.StartsWith("v3.", StringComparison.Ordinal))
            throw LeRobotFormatError.Create(file, $"codebase_version is '{version}', expected v3.x (convert older datasets with LeRobot's convert_dataset_v21_to_v30)");
        int fps = (int)GetNumber(json, "fps", file);
        if (fps < 1)
            throw LeRobotFormatError.Create(file, $"fps is {fps}, expected a positive integer");
        string? robotType = json["robot_type"] is JsonValue rt && rt.TryGetValue(out string? r) ? r : null;
        long totalEpisodes = GetNumber(json, "total_episodes", file);
        long totalFrames = GetNumber(json, "total_frames", file);
        string dataPath = json["data_path"] is JsonValue dp && dp.TryGetValue(out string? d) ? d : LeRobotLayout.DataPathTemplate;
        JsonObject features = json["features"] as JsonObject ?? throw LeRobotFormatError.Create(file, "has no 'features' object");
        string[] found = [.. features.Select(kv => kv.Key)];

        string[] VectorNames(string name)
        {
            JsonObject feature = features[name] as JsonObject
                ?? throw LeRobotFormatError.Create(file, $"features has no '{name}'; found [{string.Join(", ", found)}]");
            CheckDtype(feature, name, "float32");
            int width = feature["shape"] is JsonArray { Count: 1 } shape && shape[0] is JsonValue w && w.TryGetValue(out int v) ? v : -1;
            if (width < 1)
                throw LeRobotFormatError.Create(file, $"feature '{name}' has shape {feature["shape"]?.ToJsonString() ?? "null"}, expected [n] with n >= 1");
            return FeatureNames(feature["names"], width, name);
        }

        bool Optional(string name, string dtype)
        {
            if (features[name] is not JsonObject feature)
                return false;
            CheckDtype(feature, name, dtype);
            return true;
        }

        void CheckDtype(JsonObject feature, string name, string dtype)
        {
            string? actual = feature["dtype"] is JsonValue dv && dv.TryGetValue(out string? s) ? s : null;
            if (actual != dtype)
                throw LeRobotFormatError.Create(file, $"feature '{name}' has dtype '{actual ?? "null"}', expected '{dtype}'");
        }

        string[]? modeNames = null;
        if (Optional(LeRobotLayout.EpisodeMode, "int64"))
        {
            JsonNode? names = (features[LeRobotLayout.EpisodeMode] as JsonObject)?["info"]?[LeRobotLayout.ModeNamesKey];
            if (names is not JsonArray { Count: > 0 } list || !list.All(n => n is JsonValue v && v.TryGetValue(out string? _)))
                throw LeRobotFormatError.Create(file,
                    $"feature '{LeRobotLayout.EpisodeMode}' needs \"info\": {{\"{LeRobotLayout.ModeNamesKey}\": [names...]}}; found {features[LeRobotLayout.EpisodeMode]?.ToJsonString()}");
            modeNames = [.. list.Select(n => n!.GetValue<string>())];
        }

        return new Info(
            fps, robotType, totalEpisodes, totalFrames, dataPath,
            VectorNames(LeRobotLayout.ObservationState),
            features[LeRobotLayout.ObservationEnvironmentState] is null ? [] : VectorNames(LeRobotLayout.ObservationEnvironmentState),
            VectorNames(LeRobotLayout.Action),
            Optional(LeRobotLayout.NextReward, "float32"), Optional(LeRobotLayout.NextSuccess, "bool"), Optional(LeRobotLayout.NextDone, "bool"),
            modeNames);
    }

    /// <summary>LeRobot "names" is a list, a dict holding one list (e.g. {"motors": [...]}), or null.</summary>
    private static string[] FeatureNames(JsonNode? names, int width, string feature)
    {
        JsonArray? list = names switch
        {
            JsonArray array => array,
            JsonObject obj when obj.Count == 1 && obj.First().Value is JsonArray inner => inner,
            _ => null,
        };
        if (list is not null && list.Count == width && list.All(n => n is JsonValue v && v.TryGetValue(out string? _)))
            return [.. list.Select(n => n!.GetValue<string>())];
        return [.. Enumerable.Range(0, width).Select(i => $"{feature}_{i}")];
    }

    private static async Task<string[]> ReadTasksAsync(string root, CancellationToken ct)
    {
        await using ParquetTableReader table = await ParquetTableReader.OpenAsync(root, LeRobotLayout.TasksPath, ct).ConfigureAwait(false);
        long[] indices = await table.ReadInt64Async(LeRobotLayout.TaskIndex, ct).ConfigureAwait(false);
        string[] texts = await table.ReadStringAsync(TaskTextColumn(table), ct).ConfigureAwait(false);
        var tasks = new string[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 0 || indices[i] >= tasks.Length || tasks[indices[i]] is not null)
                throw LeRobotFormatError.Create(LeRobotLayout.TasksPath,
                    $"task_index values must be a permutation of 0..{tasks.Length - 1}; found [{string.Join(", ", indices)}]");
            tasks[indices[i]] = texts[i];
        }
        if (tasks.Length == 0)
            throw LeRobotFormatError.Create(LeRobotLayout.TasksPath, "holds no tasks");
        return tasks;
    }

    /// <summary>
    /// The column of meta/tasks.parquet holding the task text: "task" (LeRobot's index name, and the plain column of
    /// files we wrote before we added the pandas metadata), else the one index column the "pandas" footer metadata names
    /// (pandas calls an unnamed index "__index_level_0__").
    /// </summary>
    private static string TaskTextColumn(ParquetTableReader table)
    {
        if (table.HasColumn(LeRobotLayout.Task) || !table.KeyValueMetadata.TryGetValue(LeRobotLayout.PandasMetadataKey, out string? pandas))
            return LeRobotLayout.Task;
        try
        {
            if (JsonNode.Parse(pandas)?["index_columns"] is JsonArray { Count: 1 } index && index[0] is JsonValue v && v.TryGetValue(out string? name)
                && table.HasColumn(name))
                return name;
        }
        catch (JsonException ex)
        {
            throw LeRobotFormatError.Create(LeRobotLayout.TasksPath, $"has unreadable pandas metadata ({ex.Message})", ex);
        }
        return LeRobotLayout.Task;
    }

    private static async Task<EpisodeRow[]> ReadEpisodeRowsAsync(string root, Info info, CancellationToken ct)
    {
        string directory = Path.Combine(root, LeRobotLayout.EpisodesDirectory);
        string[] files = Directory.Exists(directory)
            ? [.. Directory.GetFiles(directory, "*.parquet", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal)]
            : [];
        if (files.Length == 0)
            throw LeRobotFormatError.Create(LeRobotLayout.EpisodesDirectory, "holds no episode metadata files (expected chunk-000/file-000.parquet)");

        var rows = new List<(EpisodeRow Row, string File)>();
        foreach (string file in files)
        {
            await using ParquetTableReader table = await ParquetTableReader.OpenAsync(root, file, ct).ConfigureAwait(false);
            long[] episode = await table.ReadInt64Async(LeRobotLayout.EpisodeIndex, ct).ConfigureAwait(false);
            long[] length = await table.ReadInt64Async(LeRobotLayout.Length, ct).ConfigureAwait(false);
            long[] chunk = await table.ReadInt64Async(LeRobotLayout.DataChunkIndex, ct).ConfigureAwait(false);
            long[] fileIndex = await table.ReadInt64Async(LeRobotLayout.DataFileIndex, ct).ConfigureAwait(false);
            long[] from = await table.ReadInt64Async(LeRobotLayout.DatasetFromIndex, ct).ConfigureAwait(false);
            long[] to = await table.ReadInt64Async(LeRobotLayout.DatasetToIndex, ct).ConfigureAwait(false);
            for (int i = 0; i < episode.Length; i++)
            {
                if (length[i] < 1 || to[i] - from[i] != length[i])
                    throw LeRobotFormatError.Create(file,
                        $"episode {episode[i]}: length is {length[i]} but dataset_from_index..dataset_to_index is {from[i]}..{to[i]}");
                rows.Add((new EpisodeRow((int)episode[i], length[i], chunk[i], fileIndex[i], from[i], to[i]), file));
            }
        }

        rows.Sort((a, b) => a.Row.EpisodeIndex.CompareTo(b.Row.EpisodeIndex));
        for (int e = 0; e < rows.Count; e++)
        {
            if (rows[e].Row.EpisodeIndex != e)
                throw LeRobotFormatError.Create(rows[e].File,
                    $"episode_index values must be 0..{rows.Count - 1} without gaps or repeats; found {rows[e].Row.EpisodeIndex} at sorted position {e}");
        }
        if (rows.Count != info.TotalEpisodes)
            throw LeRobotFormatError.Create(LeRobotLayout.InfoPath, $"total_episodes is {info.TotalEpisodes} but {LeRobotLayout.EpisodesDirectory} lists {rows.Count} episodes");
        return [.. rows.Select(r => r.Row)];
    }

    private static async Task<DataColumns> ReadDataColumnsAsync(ParquetTableReader table, Info info, CancellationToken ct)
    {
        float[] states = await table.ReadFloatListAsync(LeRobotLayout.ObservationState, info.StateNames.Length, ct).ConfigureAwait(false);
        if (info.EnvironmentNames.Length > 0)
        {
            float[] environment = await table.ReadFloatListAsync(LeRobotLayout.ObservationEnvironmentState, info.EnvironmentNames.Length, ct)
                .ConfigureAwait(false);
            states = JoinObservation(environment, info.EnvironmentNames.Length, states, info.StateNames.Length);
        }
        return new DataColumns(
            states,
            await table.ReadFloatListAsync(LeRobotLayout.Action, info.ActionNames.Length, ct).ConfigureAwait(false),
            await table.ReadFloatAsync(LeRobotLayout.Timestamp, ct).ConfigureAwait(false),
            info.HasRewards ? await table.ReadFloatAsync(LeRobotLayout.NextReward, ct).ConfigureAwait(false) : null,
            info.HasSuccesses ? await table.ReadBoolAsync(LeRobotLayout.NextSuccess, ct).ConfigureAwait(false) : null,
            info.HasDones ? await table.ReadBoolAsync(LeRobotLayout.NextDone, ct).ConfigureAwait(false) : null,
            await table.ReadInt64Async(LeRobotLayout.FrameIndex, ct).ConfigureAwait(false),
            await table.ReadInt64Async(LeRobotLayout.EpisodeIndex, ct).ConfigureAwait(false),
            await table.ReadInt64Async(LeRobotLayout.Index, ct).ConfigureAwait(false),
            await table.ReadInt64Async(LeRobotLayout.TaskIndex, ct).ConfigureAwait(false),
            info.ModeNames is null ? null : await table.ReadInt64Async(LeRobotLayout.EpisodeMode, ct).ConfigureAwait(false));
    }

    /// <summary>Rows of [environment_state (e), state (s)] from the two (rows, e) and (rows, s) columns.</summary>
    private static float[] JoinObservation(float[] environment, int e, float[] state, int s)
    {
        int rows = state.Length / s;
        var joined = new float[rows * (e + s)];
        for (int r = 0; r < rows; r++)
        {
            environment.AsSpan(r * e, e).CopyTo(joined.AsSpan(r * (e + s)));
            state.AsSpan(r * s, s).CopyTo(joined.AsSpan((r * (e + s)) + e));
        }
        return joined;
    }

    /// <summary>Cuts one episode's rows out of a data file and checks its indices against the episodes table.</summary>
    private static Episode SliceEpisode(string file, DataColumns data, EpisodeRow row, Info info, int taskCount)
    {
        int start = Array.IndexOf(data.EpisodeIndex, (long)row.EpisodeIndex);
        if (start < 0)
            throw LeRobotFormatError.Create(file, $"holds no rows of episode {row.EpisodeIndex}, which the episodes table places here");
        int length = checked((int)row.Length);
        if (start + length > data.EpisodeIndex.Length)
            throw LeRobotFormatError.Create(file, $"episode {row.EpisodeIndex} should have {length} rows from row {start}, but the file ends at row {data.EpisodeIndex.Length}");
        long task = data.TaskIndex[start];
        long? mode = data.Modes?[start];
        for (int t = 0; t < length; t++)
        {
            int r = start + t;
            string where = $"episode {row.EpisodeIndex}, row {r}";
            if (data.EpisodeIndex[r] != row.EpisodeIndex)
                throw LeRobotFormatError.Create(file, $"{where}: episode_index is {data.EpisodeIndex[r]}; expected {length} contiguous rows of episode {row.EpisodeIndex}");
            if (data.FrameIndex[r] != t)
                throw LeRobotFormatError.Create(file, $"{where}: frame_index is {data.FrameIndex[r]}, expected {t}");
            if (data.Index[r] != row.From + t)
                throw LeRobotFormatError.Create(file, $"{where}: index is {data.Index[r]}, expected dataset_from_index + frame_index = {row.From + t}");
            if (data.TaskIndex[r] != task)
                throw LeRobotFormatError.Create(file, $"{where}: task_index changes from {task} to {data.TaskIndex[r]} within the episode");
            if (data.Modes is not null && data.Modes[r] != mode)
                throw LeRobotFormatError.Create(file, $"{where}: {LeRobotLayout.EpisodeMode} changes from {mode} to {data.Modes[r]} within the episode");
        }
        if (start + length < data.EpisodeIndex.Length && data.EpisodeIndex[start + length] == row.EpisodeIndex)
            throw LeRobotFormatError.Create(file, $"episode {row.EpisodeIndex} has more rows than its length {length}");
        if (task < 0 || task >= taskCount)
            throw LeRobotFormatError.Create(file, $"episode {row.EpisodeIndex}: task_index {task} is outside the {taskCount} tasks of {LeRobotLayout.TasksPath}");

        if (mode is long label && (label < 0 || label >= info.ModeNames!.Length))
            throw LeRobotFormatError.Create(file, $"episode {row.EpisodeIndex}: {LeRobotLayout.EpisodeMode} {label} is outside the {info.ModeNames!.Length} mode names of {LeRobotLayout.InfoPath}");

        int n = info.EnvironmentNames.Length + info.StateNames.Length, m = info.ActionNames.Length;
        try
        {
            return new Episode(
                n, m,
                data.States.AsSpan(start * n, length * n),
                data.Actions.AsSpan(start * m, length * m),
                data.Timestamps.AsSpan(start, length),
                data.Rewards?[start..(start + length)],
                data.Successes?[start..(start + length)],
                data.Dones?[start..(start + length)],
                (int)task,
                mode is long md ? (int)md : null);
        }
        catch (ArgumentException ex)
        {
            throw LeRobotFormatError.Create(file, $"episode {row.EpisodeIndex}: {ex.Message}", ex);
        }
    }

    private static string GetString(JsonObject json, string key, string file) =>
        json[key] is JsonValue v && v.TryGetValue(out string? s)
            ? s
            : throw LeRobotFormatError.Create(file, $"'{key}' is missing or not a string");

    private static long GetNumber(JsonObject json, string key, string file)
    {
        if (json[key] is JsonValue v && v.TryGetValue(out long l))
            return l;
        if (json[key] is JsonValue d && d.TryGetValue(out double x) && x == Math.Floor(x))
            return (long)x;
        throw LeRobotFormatError.Create(file, $"'{key}' is missing or not an integer (found {json[key]?.ToJsonString() ?? "nothing"})");
    }
}
