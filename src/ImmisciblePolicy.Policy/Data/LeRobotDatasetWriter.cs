using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Writes a <see cref="DemonstrationDataset"/> in the LeRobot v3.0 layout (huggingface/lerobot
/// src/lerobot/datasets/lerobot_dataset.py and utils.py):
/// <code>
/// meta/info.json                               codebase_version, fps, totals, templates, features
/// meta/stats.json                              per-feature min/max/mean/std/count/q01..q99
/// meta/tasks.parquet                           task_index int64, task string
/// meta/episodes/chunk-000/file-000.parquet     one row per episode: length, tasks, file and frame range, stats/*
/// data/chunk-CCC/file-FFF.parquet              one row per frame, many episodes per file
/// </code>
/// Camera features (<see cref="DemonstrationDataset.ImageFeatures"/>) are written as LeRobot `image` features: one
/// PNG per frame embedded in the data files (a `datasets` Image struct of bytes and path), with per-channel
/// statistics in [0, 1] from sampled frames (<see cref="ImageStatistics"/>). Frames are compressed and measured
/// one episode at a time, and a data file is written as soon as it is full, so at most one data file's worth of
/// PNG bytes is held beyond what the dataset itself holds.
/// The write is atomic: everything goes to a hidden temporary directory next to the target, which is
/// renamed into place only when complete, so the target never holds half a dataset.
/// </summary>
public sealed class LeRobotDatasetWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 4 };

    public LeRobotDatasetWriter(LeRobotWriterOptions? options = null)
    {
        Options = options ?? new LeRobotWriterOptions();
        if (Options.ChunksSize < 1)
            throw new ArgumentException($"ChunksSize must be at least 1, received {Options.ChunksSize}", nameof(options));
        if (!(Options.DataFilesSizeInMb > 0))
            throw new ArgumentException($"DataFilesSizeInMb must be positive, received {Options.DataFilesSizeInMb}", nameof(options));
    }

    public LeRobotWriterOptions Options { get; }

    /// <summary>Called with each file's relative path right after it is written into the temporary directory.
    /// Tests use it to inject a failure midway.</summary>
    internal Action<string>? FileWritten { get; init; }

    /// <summary>Writes <paramref name="dataset"/> to <paramref name="targetDirectory"/>, atomically.</summary>
    public async Task WriteAsync(DemonstrationDataset dataset, string targetDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetDirectory);
        string target = Path.GetFullPath(targetDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        bool exists = Directory.Exists(target) || File.Exists(target);
        if (exists && !Options.Overwrite)
            throw new IOException($"'{target}' already exists; set {nameof(LeRobotWriterOptions.Overwrite)} to replace it");
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{target}' has no parent directory", nameof(targetDirectory));
        Directory.CreateDirectory(parent);
        string name = Path.GetFileName(target);
        string temp = Path.Combine(parent, $".{name}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            await WriteContentsAsync(dataset, temp, cancellationToken).ConfigureAwait(false);
            if (exists)
            {
                // Move the old dataset aside first so the target path only ever names a complete dataset.
                string old = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
                Directory.Move(target, old);
                Directory.Move(temp, target);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, target);
            }
        }
        catch
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private async Task WriteContentsAsync(DemonstrationDataset dataset, string root, CancellationToken ct)
    {
        var episodeFrom = new long[dataset.Episodes.Count];
        long next = 0;
        for (int e = 0; e < dataset.Episodes.Count; e++)
        {
            episodeFrom[e] = next;
            next += dataset.Episodes[e].Length;
        }

        // Per camera, per episode: LeRobot's sampled image statistics (compute_episode_stats).
        var cameraStats = dataset.ImageFeatures.ToDictionary(f => f.Name, _ => new FeatureStatistics[dataset.Episodes.Count], StringComparer.Ordinal);
        var files = await WriteDataFilesAsync(dataset, root, episodeFrom, cameraStats, ct).ConfigureAwait(false);

        string episodesPath = LeRobotLayout.FormatChunkFile(LeRobotLayout.EpisodesPathTemplate, 0, 0);
        await BuildEpisodesTable(dataset, files, episodeFrom, cameraStats).WriteAsync(Path.Combine(root, episodesPath), null, ct).ConfigureAwait(false);
        FileWritten?.Invoke(episodesPath);

        var tasks = new ParquetTableWriter();
        tasks.AddInt64(LeRobotLayout.TaskIndex, [.. Enumerable.Range(0, dataset.Tasks.Count).Select(i => (long)i)]);
        tasks.AddString(LeRobotLayout.Task, [.. dataset.Tasks]);
        await tasks.WriteAsync(Path.Combine(root, LeRobotLayout.TasksPath), null, ct).ConfigureAwait(false);
        FileWritten?.Invoke(LeRobotLayout.TasksPath);

        var stats = new JsonObject();
        foreach (var (feature, values, dim) in FeatureColumns(dataset, [.. Enumerable.Range(0, dataset.Episodes.Count)], episodeFrom))
            stats[feature] = StatsJson(FeatureStatistics.Compute(values, dim));
        foreach (var (camera, perEpisode) in cameraStats)
            stats[camera] = StatsJson(ImageStatistics.Aggregate(perEpisode), channelShaped: true);
        await WriteJsonAsync(root, LeRobotLayout.StatsPath, stats, ct).ConfigureAwait(false);

        await WriteJsonAsync(root, LeRobotLayout.InfoPath, InfoJson(dataset), ct).ConfigureAwait(false);
    }

    private async Task WriteJsonAsync(string root, string relative, JsonNode node, CancellationToken ct)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, node.ToJsonString(Indented), ct).ConfigureAwait(false);
        FileWritten?.Invoke(relative);
    }

    /// <summary>
    /// Writes the data files and says which file each episode went to. Episodes are added in order; each camera's
    /// frames are PNG-compressed (passed through when they already are PNG) and measured as the episode is added.
    /// A file fills up to DataFilesSizeInMb (in-memory estimate, as LeRobot's get_hf_dataset_size_in_mb, counting
    /// the PNG bytes), is written, and the next file starts, rolling chunks per ChunksSize.
    /// </summary>
    private async Task<List<(int Episode, int Chunk, int File)>> WriteDataFilesAsync(
        DemonstrationDataset dataset, string root, long[] episodeFrom, Dictionary<string, FeatureStatistics[]> cameraStats, CancellationToken ct)
    {
        int bytesPerFrame = 4 * (dataset.StateDim + dataset.ActionDim) + 4 + 4 * 8
            + (dataset.HasRewards ? 4 : 0) + (dataset.HasSuccesses ? 1 : 0) + (dataset.HasDones ? 1 : 0);
        double limit = Options.DataFilesSizeInMb * 1024 * 1024;
        IReadOnlyList<ImageFeature> cameras = dataset.ImageFeatures;
        var result = new List<(int, int, int)>();
        var batch = new List<(int Episode, PngImageFrames[] Images)>();
        int chunk = 0, file = 0;
        double used = 0;

        async Task FlushAsync()
        {
            string relative = LeRobotLayout.FormatChunkFile(LeRobotLayout.DataPathTemplate, chunk, file);
            await BuildDataTable(dataset, batch, episodeFrom)
                .WriteAsync(Path.Combine(root, relative), HuggingFaceMetadata(dataset), ct).ConfigureAwait(false);
            FileWritten?.Invoke(relative);
            batch.Clear();
        }

        for (int e = 0; e < dataset.Episodes.Count; e++)
        {
            ct.ThrowIfCancellationRequested();
            Episode episode = dataset.Episodes[e];
            double size = (double)episode.Length * bytesPerFrame;
            var pngs = new PngImageFrames[cameras.Count];
            for (int c = 0; c < cameras.Count; c++)
            {
                IImageFrames frames = episode.Images[cameras[c].Name];
                cameraStats[cameras[c].Name][e] = ImageStatistics.ComputeEpisode(frames);
                pngs[c] = PngImageFrames.Encode(frames);
                size += pngs[c].CompressedBytes;
            }
            if (used > 0 && used + size > limit)
            {
                await FlushAsync().ConfigureAwait(false);
                (chunk, file) = LeRobotLayout.NextChunkFile(chunk, file, Options.ChunksSize);
                used = 0;
            }
            batch.Add((e, pngs));
            result.Add((e, chunk, file));
            used += size;
        }
        await FlushAsync().ConfigureAwait(false);
        return result;
    }

    private static ParquetTableWriter BuildDataTable(DemonstrationDataset dataset, List<(int Episode, PngImageFrames[] Images)> batch, long[] episodeFrom)
    {
        int[] episodes = [.. batch.Select(b => b.Episode)];
        int rows = episodes.Sum(e => dataset.Episodes[e].Length);
        var state = new float[rows * dataset.StateDim];
        var action = new float[rows * dataset.ActionDim];
        var timestamp = new float[rows];
        var reward = new float[rows];
        var success = new bool[rows];
        var done = new bool[rows];
        var frameIndex = new long[rows];
        var episodeIndex = new long[rows];
        var index = new long[rows];
        var taskIndex = new long[rows];
        int row = 0;
        foreach (int e in episodes)
        {
            Episode ep = dataset.Episodes[e];
            ep.States.CopyTo(state.AsSpan(row * ep.StateDim));
            ep.Actions.CopyTo(action.AsSpan(row * ep.ActionDim));
            ep.Timestamps.CopyTo(timestamp.AsSpan(row));
            ep.Rewards.CopyTo(reward.AsSpan(row));
            ep.Successes.CopyTo(success.AsSpan(row));
            ep.Dones.CopyTo(done.AsSpan(row));
            for (int t = 0; t < ep.Length; t++, row++)
            {
                frameIndex[row] = t;
                episodeIndex[row] = e;
                index[row] = episodeFrom[e] + t;
                taskIndex[row] = ep.TaskIndex;
            }
        }

        // Column order follows the features map of info.json, as LeRobot's hf_dataset does.
        var table = new ParquetTableWriter();
        table.AddList(LeRobotLayout.ObservationState, state, dataset.StateDim);
        table.AddList(LeRobotLayout.Action, action, dataset.ActionDim);
        for (int c = 0; c < dataset.ImageFeatures.Count; c++)
        {
            // The cell's path is the basename LeRobot's embedded PNG had: frame-{frame_index:06d}.png.
            byte[][] pngs = [.. batch.SelectMany(b => Enumerable.Range(0, b.Images[c].Count).Select(t => b.Images[c].PngArray(t)))];
            string[] paths = [.. frameIndex.Select(LeRobotLayout.ImageFileName)];
            table.AddImage(dataset.ImageFeatures[c].Name, pngs, paths);
        }
        if (dataset.HasRewards)
            table.AddFloat(LeRobotLayout.NextReward, reward);
        if (dataset.HasSuccesses)
            table.AddBool(LeRobotLayout.NextSuccess, success);
        if (dataset.HasDones)
            table.AddBool(LeRobotLayout.NextDone, done);
        table.AddFloat(LeRobotLayout.Timestamp, timestamp);
        table.AddInt64(LeRobotLayout.FrameIndex, frameIndex);
        table.AddInt64(LeRobotLayout.EpisodeIndex, episodeIndex);
        table.AddInt64(LeRobotLayout.Index, index);
        table.AddInt64(LeRobotLayout.TaskIndex, taskIndex);
        return table;
    }

    private static ParquetTableWriter BuildEpisodesTable(
        DemonstrationDataset dataset, List<(int Episode, int Chunk, int File)> files, long[] episodeFrom,
        Dictionary<string, FeatureStatistics[]> cameraStats)
    {
        int count = dataset.Episodes.Count;
        var table = new ParquetTableWriter();
        table.AddInt64(LeRobotLayout.EpisodeIndex, [.. Enumerable.Range(0, count).Select(e => (long)e)]);
        table.AddStringList(LeRobotLayout.Tasks, [.. dataset.Episodes.Select(ep => new[] { dataset.Tasks[ep.TaskIndex] })]);
        table.AddInt64(LeRobotLayout.Length, [.. dataset.Episodes.Select(ep => (long)ep.Length)]);
        table.AddInt64(LeRobotLayout.DataChunkIndex, [.. files.Select(f => (long)f.Chunk)]);
        table.AddInt64(LeRobotLayout.DataFileIndex, [.. files.Select(f => (long)f.File)]);
        table.AddInt64(LeRobotLayout.DatasetFromIndex, episodeFrom);
        table.AddInt64(LeRobotLayout.DatasetToIndex, [.. Enumerable.Range(0, count).Select(e => episodeFrom[e] + dataset.Episodes[e].Length)]);

        // Per-episode statistics as LeRobot flattens them: stats/{feature}/{stat}, one list per row.
        var perEpisode = Enumerable.Range(0, count)
            .Select(e => FeatureColumns(dataset, [e], episodeFrom).Select(f => (f.Feature, Stats: FeatureStatistics.Compute(f.Values, f.Dim), f.Dim)).ToArray())
            .ToArray();
        for (int f = 0; f < perEpisode[0].Length; f++)
        {
            string prefix = $"stats/{perEpisode[0][f].Feature}/";
            int dim = perEpisode[0][f].Dim;
            FeatureStatistics[] s = [.. perEpisode.Select(p => p[f].Stats)];
            table.AddList(prefix + "min", [.. s.SelectMany(x => x.Min)], dim);
            table.AddList(prefix + "max", [.. s.SelectMany(x => x.Max)], dim);
            table.AddList(prefix + "mean", [.. s.SelectMany(x => x.Mean)], dim);
            table.AddList(prefix + "std", [.. s.SelectMany(x => x.Std)], dim);
            table.AddList(prefix + "count", [.. s.Select(x => x.Count)], 1);
            for (int q = 0; q < LeRobotLayout.Quantiles.Count; q++)
                table.AddList(prefix + LeRobotLayout.Quantiles[q].Name, [.. s.SelectMany(x => x.Quantiles[q])], dim);
        }

        // Camera statistics are (C, 1, 1) arrays per episode; count is (1).
        foreach (ImageFeature camera in dataset.ImageFeatures)
        {
            string prefix = $"stats/{camera.Name}/";
            FeatureStatistics[] s = cameraStats[camera.Name];
            int channels = camera.Channels;
            table.AddChannelStatistic(prefix + "min", [.. s.SelectMany(x => x.Min)], channels);
            table.AddChannelStatistic(prefix + "max", [.. s.SelectMany(x => x.Max)], channels);
            table.AddChannelStatistic(prefix + "mean", [.. s.SelectMany(x => x.Mean)], channels);
            table.AddChannelStatistic(prefix + "std", [.. s.SelectMany(x => x.Std)], channels);
            table.AddList(prefix + "count", [.. s.Select(x => x.Count)], 1);
            for (int q = 0; q < LeRobotLayout.Quantiles.Count; q++)
                table.AddChannelStatistic(prefix + LeRobotLayout.Quantiles[q].Name, [.. s.SelectMany(x => x.Quantiles[q])], channels);
        }

        // Everything fits one episodes file, so every row points at meta/episodes/chunk-000/file-000.
        table.AddInt64(LeRobotLayout.MetaEpisodesChunkIndex, new long[count]);
        table.AddInt64(LeRobotLayout.MetaEpisodesFileIndex, new long[count]);
        return table;
    }

    /// <summary>Every numeric per-frame feature of the given episodes as (frames, dim) doubles, in features order.</summary>
    private static List<(string Feature, double[] Values, int Dim)> FeatureColumns(
        DemonstrationDataset dataset, int[] episodes, long[] episodeFrom)
    {
        var columns = new List<(string, double[], int)>
        {
            (LeRobotLayout.ObservationState, Gather(episodes, dataset, (ep, _) => ep.States), dataset.StateDim),
            (LeRobotLayout.Action, Gather(episodes, dataset, (ep, _) => ep.Actions), dataset.ActionDim),
        };
        if (dataset.HasRewards)
            columns.Add((LeRobotLayout.NextReward, Gather(episodes, dataset, (ep, _) => ep.Rewards), 1));
        if (dataset.HasSuccesses)
            columns.Add((LeRobotLayout.NextSuccess, GatherFrames(episodes, dataset, (ep, _, t) => ep.Successes[t] ? 1 : 0), 1));
        if (dataset.HasDones)
            columns.Add((LeRobotLayout.NextDone, GatherFrames(episodes, dataset, (ep, _, t) => ep.Dones[t] ? 1 : 0), 1));
        columns.Add((LeRobotLayout.Timestamp, Gather(episodes, dataset, (ep, _) => ep.Timestamps), 1));
        columns.Add((LeRobotLayout.FrameIndex, GatherFrames(episodes, dataset, (_, _, t) => t), 1));
        columns.Add((LeRobotLayout.EpisodeIndex, GatherFrames(episodes, dataset, (_, e, _) => e), 1));
        columns.Add((LeRobotLayout.Index, GatherFrames(episodes, dataset, (_, e, t) => episodeFrom[e] + t), 1));
        columns.Add((LeRobotLayout.TaskIndex, GatherFrames(episodes, dataset, (ep, _, _) => ep.TaskIndex), 1));
        return columns;
    }

    private delegate ReadOnlySpan<float> SpanOf(Episode episode, int index);

    private static double[] Gather(int[] episodes, DemonstrationDataset dataset, SpanOf select)
    {
        var result = new List<double>();
        foreach (int e in episodes)
        {
            foreach (float v in select(dataset.Episodes[e], e))
                result.Add(v);
        }
        return [.. result];
    }

    private static double[] GatherFrames(int[] episodes, DemonstrationDataset dataset, Func<Episode, int, int, double> value)
    {
        var result = new List<double>();
        foreach (int e in episodes)
        {
            Episode ep = dataset.Episodes[e];
            for (int t = 0; t < ep.Length; t++)
                result.Add(value(ep, e, t));
        }
        return [.. result];
    }

    /// <param name="channelShaped">camera statistics: every array is written with shape (C, 1, 1) as LeRobot keeps
    /// them (compute_stats.py: per-channel stats with a leading channel axis), e.g. [[[0.5]], [[0.4]], [[0.3]]].</param>
    private static JsonObject StatsJson(FeatureStatistics s, bool channelShaped = false)
    {
        var node = new JsonObject
        {
            ["min"] = ToJson(s.Min, channelShaped),
            ["max"] = ToJson(s.Max, channelShaped),
            ["mean"] = ToJson(s.Mean, channelShaped),
            ["std"] = ToJson(s.Std, channelShaped),
            ["count"] = new JsonArray(s.Count),
        };
        for (int q = 0; q < LeRobotLayout.Quantiles.Count; q++)
            node[LeRobotLayout.Quantiles[q].Name] = ToJson(s.Quantiles[q], channelShaped);
        return node;
    }

    private static JsonArray ToJson(double[] values, bool channelShaped = false) => channelShaped
        ? [.. values.Select(v => (JsonNode)new JsonArray(new JsonArray(JsonValue.Create(v))))]
        : [.. values.Select(v => JsonValue.Create(v))];

    private JsonObject InfoJson(DemonstrationDataset dataset)
    {
        return new JsonObject
        {
            ["codebase_version"] = LeRobotLayout.CodebaseVersion,
            ["robot_type"] = dataset.RobotType,
            ["total_episodes"] = dataset.Episodes.Count,
            ["total_frames"] = dataset.TotalFrames,
            ["total_tasks"] = dataset.Tasks.Count,
            ["chunks_size"] = Options.ChunksSize,
            ["data_files_size_in_mb"] = Options.DataFilesSizeInMb,
            ["video_files_size_in_mb"] = LeRobotLayout.DefaultVideoFilesSizeInMb,
            ["fps"] = dataset.Fps,
            ["splits"] = new JsonObject { ["train"] = $"0:{dataset.Episodes.Count}" },
            ["data_path"] = LeRobotLayout.DataPathTemplate,
            ["video_path"] = LeRobotLayout.VideoPathTemplate,
            ["features"] = FeaturesJson(dataset),
        };
    }

    /// <summary>info.json "features": name -> {dtype, shape, names}, in data-column order.</summary>
    private static JsonObject FeaturesJson(DemonstrationDataset dataset)
    {
        var features = new JsonObject
        {
            [LeRobotLayout.ObservationState] = Feature("float32", dataset.StateDim, dataset.StateNames),
            [LeRobotLayout.Action] = Feature("float32", dataset.ActionDim, dataset.ActionNames),
        };
        foreach (ImageFeature camera in dataset.ImageFeatures)
        {
            features[camera.Name] = new JsonObject
            {
                ["dtype"] = LeRobotLayout.ImageDtype,
                ["shape"] = new JsonArray(camera.Height, camera.Width, camera.Channels),
                ["names"] = new JsonArray([.. LeRobotLayout.ImageShapeNames.Select(n => JsonValue.Create(n))]),
            };
        }
        if (dataset.HasRewards)
            features[LeRobotLayout.NextReward] = Feature("float32", 1, null);
        if (dataset.HasSuccesses)
            features[LeRobotLayout.NextSuccess] = Feature("bool", 1, null);
        if (dataset.HasDones)
            features[LeRobotLayout.NextDone] = Feature("bool", 1, null);
        features[LeRobotLayout.Timestamp] = Feature("float32", 1, null);
        features[LeRobotLayout.FrameIndex] = Feature("int64", 1, null);
        features[LeRobotLayout.EpisodeIndex] = Feature("int64", 1, null);
        features[LeRobotLayout.Index] = Feature("int64", 1, null);
        features[LeRobotLayout.TaskIndex] = Feature("int64", 1, null);
        return features;

        static JsonObject Feature(string dtype, int width, IReadOnlyList<string>? names) => new()
        {
            ["dtype"] = dtype,
            ["shape"] = new JsonArray(width),
            ["names"] = names is null ? null : new JsonArray([.. names.Select(n => JsonValue.Create(n))]),
        };
    }

    /// <summary>The "huggingface" key/value metadata `datasets` writes into Parquet files, so that
    /// `datasets.Dataset.from_parquet` restores fixed-length Sequence features instead of plain lists.</summary>
    private static Dictionary<string, string> HuggingFaceMetadata(DemonstrationDataset dataset)
    {
        var features = new JsonObject
        {
            [LeRobotLayout.ObservationState] = Sequence(dataset.StateDim),
            [LeRobotLayout.Action] = Sequence(dataset.ActionDim),
        };
        // `datasets` Image feature with every field at its default: asdict keeps only "_type".
        foreach (ImageFeature camera in dataset.ImageFeatures)
            features[camera.Name] = new JsonObject { ["_type"] = "Image" };
        if (dataset.HasRewards)
            features[LeRobotLayout.NextReward] = Value("float32");
        if (dataset.HasSuccesses)
            features[LeRobotLayout.NextSuccess] = Value("bool");
        if (dataset.HasDones)
            features[LeRobotLayout.NextDone] = Value("bool");
        features[LeRobotLayout.Timestamp] = Value("float32");
        foreach (string column in new[] { LeRobotLayout.FrameIndex, LeRobotLayout.EpisodeIndex, LeRobotLayout.Index, LeRobotLayout.TaskIndex })
            features[column] = Value("int64");
        var info = new JsonObject { ["info"] = new JsonObject { ["features"] = features } };
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["huggingface"] = info.ToJsonString() };

        static JsonObject Value(string dtype) => new() { ["dtype"] = dtype, ["_type"] = "Value" };
        static JsonObject Sequence(int length) => new() { ["feature"] = Value("float32"), ["length"] = length, ["_type"] = "Sequence" };
    }
}
