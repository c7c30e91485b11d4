using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Reads a LeRobot v3.0 dataset (as <see cref="LeRobotDatasetWriter"/> or LeRobot itself writes it, any
/// number of data files and chunks) into a <see cref="DemonstrationDataset"/>: observation.state,
/// observation.environment_state (prepended to each state row, see <see cref="DemonstrationDataset"/>), action, the
/// next.* signals, our episode_mode labels and every camera feature. `image` features (PNG cells of the data files) are
/// kept compressed and decoded frame by frame on demand (<see cref="PngImageFrames"/>); `video` features are decoded
/// from their mp4 files by the ffmpeg program one episode at a time into a bounded cache (<see cref="VideoImageFrames"/>),
/// and a dataset with video features fails at once, naming the feature, when ffmpeg is not installed. Other features
/// (strings, extra vectors) are not loaded. Everything is checked: info.json version and features, column presence and
/// types, per-episode lengths, frame and global indices. Problems surface as <see cref="InvalidDataException"/>
/// naming the file and what is wrong.
/// </summary>
public static class LeRobotDatasetReader
{
    public static Task<DemonstrationDataset> ReadAsync(string root, CancellationToken cancellationToken = default) =>
        ReadAsync(root, null, cancellationToken);

    /// <param name="options">how camera features are read; null for the defaults.</param>
    public static async Task<DemonstrationDataset> ReadAsync(string root, LeRobotReaderOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"LeRobot dataset directory '{root}' does not exist");
        options ??= new LeRobotReaderOptions();

        Info info = ReadInfo(root, options);
        string[] tasks = await ReadTasksAsync(root, cancellationToken).ConfigureAwait(false);
        EpisodeRow[] rows = await ReadEpisodeRowsAsync(root, info, cancellationToken).ConfigureAwait(false);
        VideoFrameDecoder? decoder = VideoDecoder(root, info, rows, options);

        var episodes = new Episode[rows.Length];
        foreach (var file in rows.GroupBy(r => (r.Chunk, r.File)).OrderBy(g => g.Key))
        {
            string relative = LeRobotLayout.FormatChunkFile(info.DataPath, file.Key.Chunk, file.Key.File);
            await using ParquetTableReader table = await ParquetTableReader.OpenAsync(root, relative, cancellationToken).ConfigureAwait(false);
            DataColumns data = await ReadDataColumnsAsync(table, info, cancellationToken).ConfigureAwait(false);
            foreach (EpisodeRow row in file)
                episodes[row.EpisodeIndex] = SliceEpisode(root, relative, data, row, info, tasks.Length, decoder);
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
        string[]? ModeNames, ImageFeature[] Images, ImageFeature[] Videos, string VideoPath);

    private sealed record EpisodeRow(int EpisodeIndex, long Length, long Chunk, long File, long From, long To, VideoRow[] Videos);

    /// <summary>Where one episode of one video feature lives: videos/{key}/chunk_index, file_index, from/to_timestamp.</summary>
    private sealed record VideoRow(long Chunk, long File, double From, double To);

    private sealed record DataColumns(
        float[] States, float[] Actions, float[] Timestamps, float[]? Rewards, bool[]? Successes, bool[]? Dones,
        long[] FrameIndex, long[] EpisodeIndex, long[] Index, long[] TaskIndex, long[]? Modes, Dictionary<string, byte[][]> Images);

    private static Info ReadInfo(string root, LeRobotReaderOptions options)
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

        var images = new List<ImageFeature>();
        var videos = new List<ImageFeature>();
        foreach (var (name, node) in features)
        {
            string? dtype = node is JsonObject f && f["dtype"] is JsonValue dv && dv.TryGetValue(out string? s) ? s : null;
            if (options.SkipCameraFeatures || dtype is not (LeRobotLayout.ImageDtype or LeRobotLayout.VideoDtype))
                continue;
            var feature = (JsonObject)node!;
            if (dtype == LeRobotLayout.VideoDtype && IsDepthMap(feature))
                throw LeRobotFormatError.Create(file, $"video feature '{name}' is a depth map (12-bit quantised); depth videos are not supported");
            (dtype == LeRobotLayout.VideoDtype ? videos : images).Add(CameraFeature(name, feature, file));
        }
        string videoPath = json["video_path"] is JsonValue vp && vp.TryGetValue(out string? v) ? v : LeRobotLayout.VideoPathTemplate;

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
            modeNames, [.. images], [.. videos], videoPath);
    }

    /// <summary>LeRobot marks depth cameras with is_depth_map in "info" (or the legacy video.is_depth_map, also in "video_info").</summary>
    private static bool IsDepthMap(JsonObject feature)
    {
        static bool Flag(JsonNode? block) => block is JsonObject o
            && ((o["is_depth_map"] is JsonValue a && a.TryGetValue(out bool x) && x) || (o["video.is_depth_map"] is JsonValue b && b.TryGetValue(out bool y) && y));
        return Flag(feature["info"]) || Flag(feature["video_info"]);
    }

    /// <summary>The shared decoder of a dataset with video features; checks that ffmpeg and every video file are there.</summary>
    private static VideoFrameDecoder? VideoDecoder(string root, Info info, EpisodeRow[] rows, LeRobotReaderOptions options)
    {
        if (info.Videos.Length == 0 || rows.Length == 0)
            return null;
        string first = LeRobotLayout.FormatVideoFile(info.VideoPath, info.Videos[0].Name, rows[0].Videos[0].Chunk, rows[0].Videos[0].File);
        string names = string.Join(", ", info.Videos.Select(v => $"'{v.Name}'"));
        FfmpegProgram ffmpeg = FfmpegProgram.Locate(options.FfmpegPath, $"reading the video feature{(info.Videos.Length > 1 ? "s" : "")} {names} ({first}, ...)");
        foreach (EpisodeRow row in rows)
        {
            for (int v = 0; v < info.Videos.Length; v++)
            {
                string relative = LeRobotLayout.FormatVideoFile(info.VideoPath, info.Videos[v].Name, row.Videos[v].Chunk, row.Videos[v].File);
                if (!File.Exists(Path.Combine(root, relative)))
                    throw LeRobotFormatError.Create(relative, $"file is missing (video feature '{info.Videos[v].Name}', episode {row.EpisodeIndex})");
            }
        }
        return new VideoFrameDecoder(ffmpeg, (long)options.VideoCacheMegabytes << 20, options.VideoToleranceSeconds);
    }

    /// <summary>
    /// A camera feature's frame shape from info.json: shape [H, W, C] with names ["height", "width", "channel(s)"]
    /// (what LeRobot records) or [C, H, W] when the names start with "channel" (some converted datasets declare that;
    /// the stored PNGs and videos are H x W x C either way).
    /// </summary>
    private static ImageFeature CameraFeature(string name, JsonObject feature, string file)
    {
        int[] shape = feature["shape"] is JsonArray { Count: 3 } array && array.All(v => v is JsonValue j && j.TryGetValue(out int _))
            ? [.. array.Select(v => v!.GetValue<int>())]
            : throw LeRobotFormatError.Create(file, $"camera feature '{name}' has shape {feature["shape"]?.ToJsonString() ?? "null"}, expected [height, width, channels]");
        bool channelsFirst = feature["names"] is JsonArray { Count: 3 } names && names[0] is JsonValue first
            && first.TryGetValue(out string? firstName) && firstName.StartsWith("channel", StringComparison.OrdinalIgnoreCase);
        var image = channelsFirst ? new ImageFeature(name, shape[1], shape[2], shape[0]) : new ImageFeature(name, shape[0], shape[1], shape[2]);
        try
        {
            image.Validate();
        }
        catch (ArgumentException ex)
        {
            throw LeRobotFormatError.Create(file, ex.Message, ex);
        }
        return image;
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
            var videos = new (long[] Chunk, long[] File, double[] From, double[] To)[info.Videos.Length];
            for (int v = 0; v < videos.Length; v++)
            {
                string key = info.Videos[v].Name;
                videos[v] = (
                    await table.ReadInt64Async(LeRobotLayout.VideoChunkIndex(key), ct).ConfigureAwait(false),
                    await table.ReadInt64Async(LeRobotLayout.VideoFileIndex(key), ct).ConfigureAwait(false),
                    await table.ReadDoubleAsync(LeRobotLayout.VideoFromTimestamp(key), ct).ConfigureAwait(false),
                    await table.ReadDoubleAsync(LeRobotLayout.VideoToTimestamp(key), ct).ConfigureAwait(false));
            }
            for (int i = 0; i < episode.Length; i++)
            {
                if (length[i] < 1 || to[i] - from[i] != length[i])
                    throw LeRobotFormatError.Create(file,
                        $"episode {episode[i]}: length is {length[i]} but dataset_from_index..dataset_to_index is {from[i]}..{to[i]}");
                var videoRows = new VideoRow[videos.Length];
                for (int v = 0; v < videos.Length; v++)
                {
                    var (c, f, start, end) = (videos[v].Chunk[i], videos[v].File[i], videos[v].From[i], videos[v].To[i]);
                    if (c < 0 || f < 0 || !double.IsFinite(start) || start < 0 || !(end > start))
                        throw LeRobotFormatError.Create(file,
                            $"episode {episode[i]}: video feature '{info.Videos[v].Name}' has chunk {c}, file {f}, timestamps {start}..{end}; " +
                            "expected non-negative indices and 0 <= from_timestamp < to_timestamp");
                    videoRows[v] = new VideoRow(c, f, start, end);
                }
                rows.Add((new EpisodeRow((int)episode[i], length[i], chunk[i], fileIndex[i], from[i], to[i], videoRows), file));
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
        var images = new Dictionary<string, byte[][]>(StringComparer.Ordinal);
        foreach (ImageFeature image in info.Images)
            images[image.Name] = await table.ReadImageBytesAsync(image.Name, ct).ConfigureAwait(false);
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
            info.ModeNames is null ? null : await table.ReadInt64Async(LeRobotLayout.EpisodeMode, ct).ConfigureAwait(false),
            images);
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
    private static Episode SliceEpisode(string root, string file, DataColumns data, EpisodeRow row, Info info, int taskCount, VideoFrameDecoder? decoder)
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
        var images = new Dictionary<string, IImageFrames>(StringComparer.Ordinal);
        foreach (ImageFeature image in info.Images)
        {
            images[image.Name] = new PngImageFrames(image, data.Images[image.Name][start..(start + length)],
                $"LeRobot dataset file '{file}', episode {row.EpisodeIndex}");
        }
        for (int v = 0; v < info.Videos.Length; v++)
        {
            ImageFeature video = info.Videos[v];
            VideoRow where = row.Videos[v];
            string relative = LeRobotLayout.FormatVideoFile(info.VideoPath, video.Name, where.Chunk, where.File);
            images[video.Name] = new VideoImageFrames(decoder!, video, Path.GetFullPath(Path.Combine(root, relative)), relative, where.From,
                data.Timestamps.AsSpan(start, length), info.Fps, $"episode {row.EpisodeIndex}");
        }
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
                images,
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
