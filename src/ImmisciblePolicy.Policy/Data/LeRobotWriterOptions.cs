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
}
