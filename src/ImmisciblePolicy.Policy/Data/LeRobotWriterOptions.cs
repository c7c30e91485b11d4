namespace ImmisciblePolicy.Policy.Data;

/// <summary>How <see cref="LeRobotDatasetWriter"/> lays files out.</summary>
public sealed record LeRobotWriterOptions
{
    /// <summary>Files per chunk-XXX directory before the next chunk starts (LeRobot DEFAULT_CHUNK_SIZE = 1000).</summary>
    public int ChunksSize { get; init; } = LeRobotLayout.DefaultChunksSize;

    /// <summary>A data file is closed once its in-memory size would exceed this many MB; episodes are never
    /// split across files (LeRobot DEFAULT_DATA_FILE_SIZE_IN_MB = 100).</summary>
    public double DataFilesSizeInMb { get; init; } = LeRobotLayout.DefaultDataFilesSizeInMb;

    /// <summary>Replace a dataset already at the target path (default false: refuse, so nothing is lost by accident).</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Null (default): cameras are written as LeRobot `image` features, PNG cells in the data files. Set: cameras are
    /// written as `video` features, encoded by the ffmpeg program into mp4 files under videos/ with these settings.
    /// </summary>
    public VideoEncoding? Video { get; init; }

    /// <summary>A video file is closed once it holds this many MB, at an episode boundary (info.json video_files_size_in_mb).</summary>
    public double VideoFilesSizeInMb { get; init; } = LeRobotLayout.DefaultVideoFilesSizeInMb;

    /// <summary>The ffmpeg program for <see cref="Video"/> (a path or command); null: <see cref="FfmpegProgram.ProgramVariable"/>, then PATH.</summary>
    public string? FfmpegPath { get; init; }
}
