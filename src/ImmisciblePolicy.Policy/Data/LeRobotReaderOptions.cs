namespace ImmisciblePolicy.Policy.Data;

/// <summary>How <see cref="LeRobotDatasetReader"/> reads camera features.</summary>
public sealed record LeRobotReaderOptions
{
    /// <summary>
    /// Leave every `image` and `video` feature out (the dataset then has no <see cref="DemonstrationDataset.ImageFeatures"/>).
    /// An explicit opt-out for state-only work; by default cameras are read, and a camera that cannot be read is an
    /// error, never silently dropped.
    /// </summary>
    public bool SkipCameraFeatures { get; init; }

    /// <summary>The ffmpeg program for `video` features (a path or command); null: <see cref="FfmpegProgram.ProgramVariable"/>, then PATH.</summary>
    public string? FfmpegPath { get; init; }

    /// <summary>Raw decoded frames kept across episodes of `video` features, in MiB (least recently used dropped first).
    /// 256 MiB holds about 9,700 frames of 96 x 96 x 3.</summary>
    public int VideoCacheMegabytes { get; init; } = 256;

    /// <summary>Largest gap between a frame's requested and decoded timestamp (LeRobot's tolerance_s default, 1e-4 s).</summary>
    public double VideoToleranceSeconds { get; init; } = 1e-4;
}
