using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Writes a <see cref="DemonstrationDataset"/> in the LeRobot v3.0 layout (huggingface/lerobot
/// src/lerobot/datasets/lerobot_dataset.py and utils.py):
/// <code>
/// meta/info.json                               codebase_version, fps, totals, templates, features
/// meta/stats.json                              per-feature min/max/mean/std/count/q01..q99
/// meta/tasks.parquet                           task_index int64, task string (the pandas index, as LeRobot writes it)
/// meta/episodes/chunk-000/file-000.parquet     one row per episode: length, tasks, file and frame range, stats/*
/// data/chunk-CCC/file-FFF.parquet              one row per frame, many episodes per file
/// </code>
/// Camera features (<see cref="DemonstrationDataset.ImageFeatures"/>) are written as LeRobot `image` features: one
/// PNG per frame embedded in the data files (a `datasets` Image struct of bytes and path), with per-channel
/// statistics in [0, 1] from sampled frames (<see cref="ImageStatistics"/>). Frames are compressed and measured
/// one episode at a time, and a data file is written as soon as it is full, so at most one data file's worth of
/// PNG bytes is held beyond what the dataset itself holds. With <see cref="LeRobotWriterOptions.Video"/> set, cameras
/// are written as `video` features instead: each camera's frames are piped through the ffmpeg program into
/// videos/{camera}/chunk-CCC/file-FFF.mp4, many episodes per file back to back, one frame in memory at a time;
/// the episodes table records each episode's file and from/to timestamps, info.json the codec.
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
        if (!(Options.VideoFilesSizeInMb > 0))
            throw new ArgumentException($"VideoFilesSizeInMb must be positive, received {Options.VideoFilesSizeInMb}", nameof(options));
        Options.Video?.Validate();
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
        var videos = new Dictionary<string, VideoSpan[]>(StringComparer.Ordinal);
        if (Options.Video is { } encoding && dataset.ImageFeatures.Count > 0)
        {
            FfmpegProgram ffmpeg = VideoEncoder(dataset, encoding);
            foreach (ImageFeature camera in dataset.ImageFeatures)
                videos[camera.Name] = WriteVideos(dataset, camera, root, ffmpeg, encoding, cameraStats[camera.Name], ct);
        }
        var files = await WriteDataFilesAsync(dataset, root, episodeFrom, cameraStats, ct).ConfigureAwait(false);

        string episodesPath = LeRobotLayout.FormatChunkFile(LeRobotLayout.EpisodesPathTemplate, 0, 0);
        await BuildEpisodesTable(dataset, files, episodeFrom, cameraStats, videos).WriteAsync(Path.Combine(root, episodesPath), null, ct).ConfigureAwait(false);
        FileWritten?.Invoke(episodesPath);

        var tasks = new ParquetTableWriter();
        tasks.AddInt64(LeRobotLayout.TaskIndex, [.. Enumerable.Range(0, dataset.Tasks.Count).Select(i => (long)i)]);
        tasks.AddString(LeRobotLayout.Task, [.. dataset.Tasks]);
        await tasks.WriteAsync(Path.Combine(root, LeRobotLayout.TasksPath), TasksPandasMetadata(), ct).ConfigureAwait(false);
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

    /// <summary>Finds ffmpeg and checks that it and the encoder can take these cameras, before anything is encoded.</summary>
    private FfmpegProgram VideoEncoder(DemonstrationDataset dataset, VideoEncoding encoding)
    {
        var ffmpeg = FfmpegProgram.Locate(Options.FfmpegPath,
            $"writing the camera feature{(dataset.ImageFeatures.Count > 1 ? "s" : "")} {string.Join(", ", dataset.ImageFeatures.Select(f => $"'{f.Name}'"))} as video");
        foreach (ImageFeature camera in dataset.ImageFeatures)
        {
            // SVT-AV1 1.4 (Debian 12) refuses frames under 64 pixels; 4:2:0 chroma halves both sides.
            if (encoding.Codec == "libsvtav1" && (camera.Height < 64 || camera.Width < 64))
                throw new ArgumentException(
                    $"camera '{camera.Name}' has {camera.Height} x {camera.Width} frames; the SVT-AV1 encoder needs at least 64 x 64 (use libx264 for smaller frames)",
                    nameof(dataset));
            if (encoding.PixelFormat.StartsWith("yuv420", StringComparison.Ordinal) && (camera.Height % 2 != 0 || camera.Width % 2 != 0))
                throw new ArgumentException(
                    $"camera '{camera.Name}' has {camera.Height} x {camera.Width} frames; pixel format {encoding.PixelFormat} needs even height and width",
                    nameof(dataset));
        }
        if (!ffmpeg.HasEncoder(encoding.Codec))
            throw new InvalidOperationException(
                $"the ffmpeg at '{ffmpeg.Path}' has no '{encoding.Codec}' encoder; choose another video codec (libsvtav1, libx264, libaom-av1, libx265)");
        return ffmpeg;
    }

    /// <summary>Where one episode of one camera went: videos/{camera}/chunk_index, file_index, from/to_timestamp.</summary>
    private sealed record VideoSpan(int Chunk, int File, double From, double To);

    /// <summary>Cameras stored as PNG cells of the data files (all of them unless videos are written).</summary>
    private IReadOnlyList<ImageFeature> PngCameras(DemonstrationDataset dataset) => Options.Video is null ? dataset.ImageFeatures : [];

    /// <summary>
    /// Encodes one camera of every episode into mp4 files: episodes go into the current file back to back (the
    /// file's frame k at k / fps, so an episode starts at from_timestamp = frames before it / fps), and a file is
    /// closed at the first episode boundary where it holds VideoFilesSizeInMb, as LeRobot rolls video files. One
    /// ffmpeg process encodes a whole file; its size is what ffmpeg has written so far, which trails the frames sent
    /// by the encoder's lookahead (tens of frames), so a file can pass the limit by that much. Frames are streamed one at a time;
    /// the episode's statistics come from its source frames, as LeRobot computes them before encoding.
    /// </summary>
    private VideoSpan[] WriteVideos(
        DemonstrationDataset dataset, ImageFeature camera, string root, FfmpegProgram ffmpeg, VideoEncoding encoding,
        FeatureStatistics[] stats, CancellationToken ct)
    {
        double limit = Options.VideoFilesSizeInMb * 1024 * 1024;
        int fps = dataset.Fps;
        var spans = new VideoSpan[dataset.Episodes.Count];
        var frame = new byte[camera.FrameBytes];
        int chunk = 0, file = 0;
        VideoFileEncoder? encoder = null;
        string relative = "";
        try
        {
            for (int e = 0; e < dataset.Episodes.Count; e++)
            {
                ct.ThrowIfCancellationRequested();
                Episode episode = dataset.Episodes[e];
                ReadOnlySpan<float> times = episode.Timestamps;
                for (int t = 0; t < episode.Length; t++)
                {
                    // A video has one frame every 1 / fps; LeRobot finds frame t at from_timestamp + timestamp[t].
                    if (Math.Abs(times[t] - ((double)t / fps)) > 1e-4)
                        throw new ArgumentException(
                            $"episode {e}, frame {t}: timestamp {times[t]} s is not t / fps = {(double)t / fps} s; video features need frames at the constant rate of {fps} fps",
                            nameof(dataset));
                }
                IImageFrames frames = episode.Images[camera.Name];
                stats[e] = ImageStatistics.ComputeEpisode(frames);
                if (encoder is null)
                {
                    relative = LeRobotLayout.FormatVideoFile(LeRobotLayout.VideoPathTemplate, camera.Name, chunk, file);
                    encoder = new VideoFileEncoder(ffmpeg, Path.Combine(root, relative), relative, camera, fps, encoding);
                }
                double from = (double)encoder.FramesWritten / fps;
                for (int t = 0; t < frames.Count; t++)
                {
                    frames.CopyFrame(t, frame);
                    encoder.WriteFrame(frame);
                }
                spans[e] = new VideoSpan(chunk, file, from, from + ((double)frames.Count / fps));
                if (encoder.BytesOnDisk >= limit)
                {
                    encoder.Finish();
                    encoder.Dispose();
                    encoder = null;
                    FileWritten?.Invoke(relative);
                    (chunk, file) = LeRobotLayout.NextChunkFile(chunk, file, Options.ChunksSize);
                }
            }
            if (encoder is not null)
            {
                encoder.Finish();
                FileWritten?.Invoke(relative);
            }
        }
        finally
        {
            encoder?.Dispose();
        }
        return spans;
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
            + (dataset.HasRewards ? 4 : 0) + (dataset.HasSuccesses ? 1 : 0) + (dataset.HasDones ? 1 : 0) + (dataset.HasModes ? 8 : 0);
        double limit = Options.DataFilesSizeInMb * 1024 * 1024;
        IReadOnlyList<ImageFeature> cameras = PngCameras(dataset);
        var result = new List<(int, int, int)>();
        var batch = new List<(int Episode, PngImageFrames[] Images)>();
        int chunk = 0, file = 0;
        double used = 0;

        async Task FlushAsync()
        {
            string relative = LeRobotLayout.FormatChunkFile(LeRobotLayout.DataPathTemplate, chunk, file);
            await BuildDataTable(dataset, cameras, batch, episodeFrom)
                .WriteAsync(Path.Combine(root, relative), HuggingFaceMetadata(dataset, cameras), ct).ConfigureAwait(false);
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
                // Statistics first: they decode sampled frames, which also catches frames of the wrong size early.
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

    private static ParquetTableWriter BuildDataTable(
        DemonstrationDataset dataset, IReadOnlyList<ImageFeature> cameras, List<(int Episode, PngImageFrames[] Images)> batch, long[] episodeFrom)
    {
        int[] episodes = [.. batch.Select(b => b.Episode)];
        int rows = episodes.Sum(e => dataset.Episodes[e].Length);
        var mode = new long[rows];
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
                mode[row] = ep.Mode ?? 0;
            }
        }

        // Column order follows the features map of info.json, as LeRobot's hf_dataset does.
        var table = new ParquetTableWriter();
        var (environment, agent) = SplitObservation(dataset, state, rows);
        table.AddList(LeRobotLayout.ObservationState, agent, dataset.StateDim - dataset.EnvironmentStateDim);
        if (dataset.EnvironmentStateDim > 0)
            table.AddList(LeRobotLayout.ObservationEnvironmentState, environment, dataset.EnvironmentStateDim);
        table.AddList(LeRobotLayout.Action, action, dataset.ActionDim);
        for (int c = 0; c < cameras.Count; c++)
        {
            // The cell's path is the basename LeRobot's embedded PNG had: frame-{frame_index:06d}.png.
            byte[][] pngs = [.. batch.SelectMany(b => Enumerable.Range(0, b.Images[c].Count).Select(t => b.Images[c].PngArray(t)))];
            string[] paths = [.. frameIndex.Select(LeRobotLayout.ImageFileName)];
            table.AddImage(cameras[c].Name, pngs, paths);
        }
        if (dataset.HasRewards)
            table.AddFloat(LeRobotLayout.NextReward, reward);
        if (dataset.HasSuccesses)
            table.AddBool(LeRobotLayout.NextSuccess, success);
        if (dataset.HasDones)
            table.AddBool(LeRobotLayout.NextDone, done);
        if (dataset.HasModes)
            table.AddInt64(LeRobotLayout.EpisodeMode, mode);
        table.AddFloat(LeRobotLayout.Timestamp, timestamp);
        table.AddInt64(LeRobotLayout.FrameIndex, frameIndex);
        table.AddInt64(LeRobotLayout.EpisodeIndex, episodeIndex);
        table.AddInt64(LeRobotLayout.Index, index);
        table.AddInt64(LeRobotLayout.TaskIndex, taskIndex);
        return table;
    }

    /// <summary>
    /// Splits (rows, n) observation rows into observation.environment_state (rows, e), the first e entries, and
    /// observation.state (rows, n - e), the rest (see <see cref="DemonstrationDataset"/>).
    /// </summary>
    private static (float[] Environment, float[] Agent) SplitObservation(DemonstrationDataset dataset, float[] rows, int count)
    {
        int n = dataset.StateDim, e = dataset.EnvironmentStateDim;
        if (e == 0)
            return ([], rows);
        var environment = new float[count * e];
        var agent = new float[count * (n - e)];
        for (int r = 0; r < count; r++)
        {
            rows.AsSpan(r * n, e).CopyTo(environment.AsSpan(r * e));
            rows.AsSpan((r * n) + e, n - e).CopyTo(agent.AsSpan(r * (n - e)));
        }
        return (environment, agent);
    }

    private static ParquetTableWriter BuildEpisodesTable(
        DemonstrationDataset dataset, List<(int Episode, int Chunk, int File)> files, long[] episodeFrom,
        Dictionary<string, FeatureStatistics[]> cameraStats, Dictionary<string, VideoSpan[]> videos)
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
        foreach (var (camera, spans) in videos)
        {
            table.AddInt64(LeRobotLayout.VideoChunkIndex(camera), [.. spans.Select(v => (long)v.Chunk)]);
            table.AddInt64(LeRobotLayout.VideoFileIndex(camera), [.. spans.Select(v => (long)v.File)]);
            table.AddDouble(LeRobotLayout.VideoFromTimestamp(camera), [.. spans.Select(v => v.From)]);
            table.AddDouble(LeRobotLayout.VideoToTimestamp(camera), [.. spans.Select(v => v.To)]);
        }
        if (dataset.HasModes)
            table.AddInt64(LeRobotLayout.EpisodeMode, [.. dataset.Episodes.Select(ep => (long)ep.Mode!.Value)]);

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
        int n = dataset.StateDim, env = dataset.EnvironmentStateDim;
        double[] states = Gather(episodes, dataset, (ep, _) => ep.States);
        var columns = new List<(string, double[], int)>
        {
            (LeRobotLayout.ObservationState, Columns(states, n, env, n), n - env),
        };
        if (env > 0)
            columns.Add((LeRobotLayout.ObservationEnvironmentState, Columns(states, n, 0, env), env));
        columns.Add((LeRobotLayout.Action, Gather(episodes, dataset, (ep, _) => ep.Actions), dataset.ActionDim));
        if (dataset.HasRewards)
            columns.Add((LeRobotLayout.NextReward, Gather(episodes, dataset, (ep, _) => ep.Rewards), 1));
        if (dataset.HasSuccesses)
            columns.Add((LeRobotLayout.NextSuccess, GatherFrames(episodes, dataset, (ep, _, t) => ep.Successes[t] ? 1 : 0), 1));
        if (dataset.HasDones)
            columns.Add((LeRobotLayout.NextDone, GatherFrames(episodes, dataset, (ep, _, t) => ep.Dones[t] ? 1 : 0), 1));
        if (dataset.HasModes)
            columns.Add((LeRobotLayout.EpisodeMode, GatherFrames(episodes, dataset, (ep, _, _) => ep.Mode!.Value), 1));
        columns.Add((LeRobotLayout.Timestamp, Gather(episodes, dataset, (ep, _) => ep.Timestamps), 1));
        columns.Add((LeRobotLayout.FrameIndex, GatherFrames(episodes, dataset, (_, _, t) => t), 1));
        columns.Add((LeRobotLayout.EpisodeIndex, GatherFrames(episodes, dataset, (_, e, _) => e), 1));
        columns.Add((LeRobotLayout.Index, GatherFrames(episodes, dataset, (_, e, t) => episodeFrom[e] + t), 1));
        columns.Add((LeRobotLayout.TaskIndex, GatherFrames(episodes, dataset, (ep, _, _) => ep.TaskIndex), 1));
        return columns;
    }

    /// <summary>Columns [from, to) of a (rows, width) row-major table.</summary>
    private static double[] Columns(double[] table, int width, int from, int to)
    {
        int rows = table.Length / width;
        var result = new double[rows * (to - from)];
        for (int r = 0; r < rows; r++)
            Array.Copy(table, (r * width) + from, result, r * (to - from), to - from);
        return result;
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
            ["video_files_size_in_mb"] = Options.VideoFilesSizeInMb,
            ["fps"] = dataset.Fps,
            ["splits"] = new JsonObject { ["train"] = $"0:{dataset.Episodes.Count}" },
            ["data_path"] = LeRobotLayout.DataPathTemplate,
            // LeRobot's create_empty_dataset_info: video_path is the template only when some feature is a video.
            ["video_path"] = Options.Video is not null && dataset.ImageFeatures.Count > 0 ? LeRobotLayout.VideoPathTemplate : null,
            ["features"] = FeaturesJson(dataset, Options.Video),
        };
    }

    /// <summary>
    /// A video feature's "info" block as LeRobot's get_video_info fills it (video_utils.py): the stream's size, codec,
    /// pixel format, fps and channels, no audio, then the encoder settings (video.g, video.crf, video.preset,
    /// video.fast_decode) and is_depth_map.
    /// </summary>
    private static JsonObject VideoInfoJson(ImageFeature camera, VideoEncoding video, int fps)
    {
        var info = new JsonObject
        {
            ["video.height"] = camera.Height,
            ["video.width"] = camera.Width,
            ["video.codec"] = video.CodecName,
            ["video.pix_fmt"] = video.PixelFormat,
            ["video.fps"] = fps,
            ["video.channels"] = camera.Channels,
            ["has_audio"] = false,
            ["video.g"] = video.Gop,
            ["video.crf"] = video.Crf,
        };
        if (video.Preset is not null)
            info["video.preset"] = int.TryParse(video.Preset, out int preset) ? JsonValue.Create(preset) : JsonValue.Create(video.Preset);
        info["video.fast_decode"] = video.FastDecode;
        info["is_depth_map"] = false;
        return info;
    }

    /// <summary>info.json "features": name -> {dtype, shape, names}, in data-column order (video features hold no column).</summary>
    private static JsonObject FeaturesJson(DemonstrationDataset dataset, VideoEncoding? video)
    {
        int env = dataset.EnvironmentStateDim;
        var features = new JsonObject
        {
            [LeRobotLayout.ObservationState] = Feature("float32", dataset.StateDim - env, [.. dataset.StateNames.Skip(env)]),
        };
        if (env > 0)
            features[LeRobotLayout.ObservationEnvironmentState] = Feature("float32", env, [.. dataset.StateNames.Take(env)]);
        features[LeRobotLayout.Action] = Feature("float32", dataset.ActionDim, dataset.ActionNames);
        foreach (ImageFeature camera in dataset.ImageFeatures)
        {
            var feature = new JsonObject
            {
                ["dtype"] = video is null ? LeRobotLayout.ImageDtype : LeRobotLayout.VideoDtype,
                ["shape"] = new JsonArray(camera.Height, camera.Width, camera.Channels),
                ["names"] = new JsonArray([.. LeRobotLayout.ImageShapeNames.Select(n => JsonValue.Create(n))]),
            };
            if (video is not null)
                feature["info"] = VideoInfoJson(camera, video, dataset.Fps);
            features[camera.Name] = feature;
        }
        if (dataset.HasRewards)
            features[LeRobotLayout.NextReward] = Feature("float32", 1, null);
        if (dataset.HasSuccesses)
            features[LeRobotLayout.NextSuccess] = Feature("bool", 1, null);
        if (dataset.HasDones)
            features[LeRobotLayout.NextDone] = Feature("bool", 1, null);
        if (dataset.ModeNames is { } modes)
        {
            var mode = Feature("int64", 1, null);
            mode["info"] = new JsonObject { [LeRobotLayout.ModeNamesKey] = new JsonArray([.. modes.Select(m => JsonValue.Create(m))]) };
            features[LeRobotLayout.EpisodeMode] = mode;
        }
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

    /// <summary>
    /// The "pandas" key/value metadata that makes meta/tasks.parquet read back as LeRobot writes it
    /// (lerobot/datasets/dataset_metadata.py builds <c>pd.DataFrame({"task_index": ...}, index=pd.Index(tasks, name="task"))</c>
    /// and io_utils.write_tasks calls <c>to_parquet</c>): pyarrow stores the index as a trailing column "task" and
    /// describes it here (pyarrow/pandas_compat.py construct_metadata), so <c>pd.read_parquet</c> restores the task
    /// text as the index and LeRobot's <c>item["task"] = tasks.iloc[task_index].name</c> is the text.
    /// </summary>
    internal static Dictionary<string, string> TasksPandasMetadata()
    {
        static JsonObject Column(string name, string pandasType, string numpyType) => new()
        {
            ["name"] = name, ["field_name"] = name, ["pandas_type"] = pandasType, ["numpy_type"] = numpyType, ["metadata"] = null,
        };
        var pandas = new JsonObject
        {
            ["index_columns"] = new JsonArray(LeRobotLayout.Task),
            // The DataFrame's column labels ("task_index") form an unnamed string index.
            ["column_indexes"] = new JsonArray(new JsonObject
            {
                ["name"] = null, ["field_name"] = null, ["pandas_type"] = "unicode", ["numpy_type"] = "object",
                ["metadata"] = new JsonObject { ["encoding"] = "UTF-8" },
            }),
            ["columns"] = new JsonArray(Column(LeRobotLayout.TaskIndex, "int64", "int64"), Column(LeRobotLayout.Task, "unicode", "object")),
            ["creator"] = new JsonObject { ["library"] = "ImmisciblePolicy", ["version"] = "1" },
            ["pandas_version"] = "1.5.3",
        };
        return new Dictionary<string, string>(StringComparer.Ordinal) { [LeRobotLayout.PandasMetadataKey] = pandas.ToJsonString() };
    }

    /// <summary>The "huggingface" key/value metadata `datasets` writes into Parquet files, so that
    /// `datasets.Dataset.from_parquet` restores fixed-length Sequence features instead of plain lists.</summary>
    private static Dictionary<string, string> HuggingFaceMetadata(DemonstrationDataset dataset, IReadOnlyList<ImageFeature> pngCameras)
    {
        var features = new JsonObject
        {
            [LeRobotLayout.ObservationState] = Sequence(dataset.StateDim - dataset.EnvironmentStateDim),
        };
        if (dataset.EnvironmentStateDim > 0)
            features[LeRobotLayout.ObservationEnvironmentState] = Sequence(dataset.EnvironmentStateDim);
        features[LeRobotLayout.Action] = Sequence(dataset.ActionDim);
        // `datasets` Image feature with every field at its default: asdict keeps only "_type".
        foreach (ImageFeature camera in pngCameras)
            features[camera.Name] = new JsonObject { ["_type"] = "Image" };
        if (dataset.HasRewards)
            features[LeRobotLayout.NextReward] = Value("float32");
        if (dataset.HasSuccesses)
            features[LeRobotLayout.NextSuccess] = Value("bool");
        if (dataset.HasDones)
            features[LeRobotLayout.NextDone] = Value("bool");
        if (dataset.HasModes)
            features[LeRobotLayout.EpisodeMode] = Value("int64");
        features[LeRobotLayout.Timestamp] = Value("float32");
        foreach (string column in new[] { LeRobotLayout.FrameIndex, LeRobotLayout.EpisodeIndex, LeRobotLayout.Index, LeRobotLayout.TaskIndex })
            features[column] = Value("int64");
        var info = new JsonObject { ["info"] = new JsonObject { ["features"] = features } };
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["huggingface"] = info.ToJsonString() };

        static JsonObject Value(string dtype) => new() { ["dtype"] = dtype, ["_type"] = "Value" };
        static JsonObject Sequence(int length) => new() { ["feature"] = Value("float32"), ["length"] = length, ["_type"] = "Sequence" };
    }
}
