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
}
