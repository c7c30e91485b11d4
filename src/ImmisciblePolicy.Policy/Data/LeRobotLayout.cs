using System.Globalization;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// File names, column names and templates of the LeRobot v3.0 dataset layout
/// (huggingface/lerobot src/lerobot/datasets/utils.py: DEFAULT_DATA_PATH, DEFAULT_EPISODES_PATH,
/// DEFAULT_TASKS_PATH, DEFAULT_FEATURES, create_empty_dataset_info).
/// </summary>
public static class LeRobotLayout
{
    /// <summary>The codebase_version we write; readers accept any "v3.x".</summary>
    public const string CodebaseVersion = "v3.0";

    public const string InfoPath = "meta/info.json";
    public const string StatsPath = "meta/stats.json";
    public const string TasksPath = "meta/tasks.parquet";
    public const string EpisodesDirectory = "meta/episodes";
    public const string DataDirectory = "data";

    /// <summary>Python format template stored in info.json as data_path.</summary>
    public const string DataPathTemplate = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";

    /// <summary>Python format template for per-episode metadata files.</summary>
    public const string EpisodesPathTemplate = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";

    /// <summary>Python format template stored in info.json as video_path when a dataset has video features
    /// (LeRobot writes null otherwise; so do we, as we write no videos yet).</summary>
    public const string VideoPathTemplate = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4";

    /// <summary>LeRobot's DEFAULT_CHUNK_SIZE: at most this many files per chunk directory.</summary>
    public const int DefaultChunksSize = 1000;

    /// <summary>LeRobot's DEFAULT_DATA_FILE_SIZE_IN_MB.</summary>
    public const double DefaultDataFilesSizeInMb = 100;

    /// <summary>LeRobot's DEFAULT_VIDEO_FILE_SIZE_IN_MB.</summary>
    public const double DefaultVideoFilesSizeInMb = 500;

    // Per-frame columns of the data files.
    public const string ObservationState = "observation.state";

    /// <summary>LeRobot's OBS_ENV_STATE: what the environment shows besides the robot, e.g. gym-pusht's 16 block-corner coordinates.</summary>
    public const string ObservationEnvironmentState = "observation.environment_state";

    /// <summary>
    /// Our per-frame int64 column with the solution mode the demonstrator followed in the frame's episode (constant within
    /// an episode; also a per-episode column of meta/episodes). Its info.json feature carries the mode names as
    /// <c>"info": {"mode_names": [...]}</c>. Not a LeRobot name: LeRobot loads it like task_index and its policies ignore it
    /// (dataset_to_policy_features keeps only observation.* and action keys).
    /// </summary>
    public const string EpisodeMode = "episode_mode";

    /// <summary>Key of <see cref="EpisodeMode"/>'s feature "info" object listing the mode names by index.</summary>
    public const string ModeNamesKey = "mode_names";

    /// <summary>Footer key/value metadata key pandas (through pyarrow) writes a DataFrame's schema and index into.</summary>
    public const string PandasMetadataKey = "pandas";
    public const string Action = "action";
    public const string NextReward = "next.reward";
    public const string NextSuccess = "next.success";
    public const string NextDone = "next.done";
    public const string Timestamp = "timestamp";
    public const string FrameIndex = "frame_index";
    public const string EpisodeIndex = "episode_index";
    public const string Index = "index";
    public const string TaskIndex = "task_index";

    // Per-episode columns of meta/episodes/*.parquet.
    public const string Tasks = "tasks";
    public const string Length = "length";
    public const string DataChunkIndex = "data/chunk_index";
    public const string DataFileIndex = "data/file_index";
    public const string DatasetFromIndex = "dataset_from_index";
    public const string DatasetToIndex = "dataset_to_index";
    public const string MetaEpisodesChunkIndex = "meta/episodes/chunk_index";
    public const string MetaEpisodesFileIndex = "meta/episodes/file_index";

    /// <summary>Column of meta/tasks.parquet holding the task text.</summary>
    public const string Task = "task";

    /// <summary>Quantiles written to stats.json next to min/max/mean/std/count (recent LeRobot writes these).</summary>
    public static IReadOnlyList<(string Name, double Q)> Quantiles { get; } =
        [("q01", 0.01), ("q10", 0.10), ("q50", 0.50), ("q90", 0.90), ("q99", 0.99)];

    /// <summary>Expands a LeRobot chunk/file template, e.g. data/chunk-000/file-003.parquet.</summary>
    public static string FormatChunkFile(string template, long chunkIndex, long fileIndex)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(fileIndex);
        return template
            .Replace("{chunk_index:03d}", chunkIndex.ToString("D3", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{file_index:03d}", fileIndex.ToString("D3", CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>LeRobot's update_chunk_file_indices: the next file, rolling into a new chunk after chunksSize files.</summary>
    public static (int Chunk, int File) NextChunkFile(int chunkIndex, int fileIndex, int chunksSize) =>
        fileIndex == chunksSize - 1 ? (chunkIndex + 1, 0) : (chunkIndex, fileIndex + 1);
}
