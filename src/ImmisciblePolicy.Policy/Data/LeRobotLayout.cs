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

    /// <summary>Python format template stored in info.json as video_path when a dataset has video features: one mp4 per
    /// camera and file, each holding many episodes one after another (huggingface/lerobot datasets/utils.py
    /// DEFAULT_VIDEO_PATH). LeRobot writes null when there are none; so do we.</summary>
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

    // Camera features: info.json dtype, and the per-episode video columns of meta/episodes/*.parquet
    // (huggingface/lerobot datasets/dataset_writer.py _save_episode_video).
    public const string ImageDtype = "image";
    public const string VideoDtype = "video";

    /// <summary>info.json "names" of a camera feature whose shape is [H, W, C].</summary>
    public static IReadOnlyList<string> ImageShapeNames { get; } = ["height", "width", "channels"];

    public static string VideoChunkIndex(string videoKey) => $"videos/{videoKey}/chunk_index";
    public static string VideoFileIndex(string videoKey) => $"videos/{videoKey}/file_index";
    public static string VideoFromTimestamp(string videoKey) => $"videos/{videoKey}/from_timestamp";
    public static string VideoToTimestamp(string videoKey) => $"videos/{videoKey}/to_timestamp";

    /// <summary>The "path" LeRobot leaves in an image cell: the basename of the PNG it embedded
    /// (DEFAULT_IMAGE_PATH's frame-{frame_index:06d}.png; `datasets` Image.embed_storage keeps os.path.basename).</summary>
    public static string ImageFileName(long frameIndex) => $"frame-{frameIndex.ToString("D6", CultureInfo.InvariantCulture)}.png";

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

    /// <summary>Expands a video_path template for one camera, e.g. videos/observation.image/chunk-000/file-001.mp4.</summary>
    public static string FormatVideoFile(string template, string videoKey, long chunkIndex, long fileIndex)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentException.ThrowIfNullOrWhiteSpace(videoKey);
        return FormatChunkFile(template.Replace("{video_key}", videoKey, StringComparison.Ordinal), chunkIndex, fileIndex);
    }

    /// <summary>LeRobot's update_chunk_file_indices: the next file, rolling into a new chunk after chunksSize files.</summary>
    public static (int Chunk, int File) NextChunkFile(int chunkIndex, int fileIndex, int chunksSize) =>
        fileIndex == chunksSize - 1 ? (chunkIndex + 1, 0) : (chunkIndex, fileIndex + 1);
}
