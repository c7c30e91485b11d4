namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// One camera's frames of one episode inside a LeRobot video file: frame i is the video frame at
/// from_timestamp + timestamp[i] (huggingface/lerobot dataset_reader.py _query_videos). Frames are decoded by the
/// shared <see cref="VideoFrameDecoder"/> when first asked for, a whole episode at a time, and kept in its bounded cache.
/// </summary>
public sealed class VideoImageFrames : IImageFrames
{
    private readonly double[] timestamps;
    private readonly VideoFrameDecoder decoder;

    /// <param name="decoder">the shared decoder and cache.</param>
    /// <param name="feature">name and H x W x C of every frame.</param>
    /// <param name="path">the mp4 file.</param>
    /// <param name="relativePath">the file relative to the dataset root, for messages.</param>
    /// <param name="fromTimestamp">where the episode starts in the file, seconds (videos/{key}/from_timestamp).</param>
    /// <param name="episodeTimestamps">the episode's per-frame timestamps, seconds from its start.</param>
    /// <param name="fps">the dataset's frame rate.</param>
    /// <param name="episodeDescription">e.g. "episode 3", for messages.</param>
    public VideoImageFrames(
        VideoFrameDecoder decoder, ImageFeature feature, string path, string relativePath, double fromTimestamp,
        ReadOnlySpan<float> episodeTimestamps, int fps, string episodeDescription)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(feature);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        feature.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(fps, 1);
        if (episodeTimestamps.Length == 0)
            throw new ArgumentException($"video feature '{feature.Name}': an episode needs at least one frame", nameof(episodeTimestamps));
        if (!double.IsFinite(fromTimestamp) || fromTimestamp < 0)
            throw new ArgumentOutOfRangeException(nameof(fromTimestamp), fromTimestamp, "expected a finite, non-negative start time in seconds");
        this.decoder = decoder;
        Feature = feature;
        Path = path;
        RelativePath = relativePath;
        Fps = fps;
        EpisodeDescription = episodeDescription;
        timestamps = new double[episodeTimestamps.Length];
        for (int i = 0; i < timestamps.Length; i++)
            timestamps[i] = fromTimestamp + episodeTimestamps[i];
    }

    /// <inheritdoc />
    public ImageFeature Feature { get; }

    /// <inheritdoc />
    public int Count => timestamps.Length;

    /// <summary>The decoder (and cache) these frames are read through.</summary>
    public VideoFrameDecoder Decoder => decoder;

    /// <summary>The mp4 file.</summary>
    public string Path { get; }

    public string RelativePath { get; }

    public int Fps { get; }

    public string EpisodeDescription { get; }

    /// <summary>Where frame <paramref name="index"/> sits in the file, seconds.</summary>
    public double Timestamp(int index) => timestamps[index];

    /// <inheritdoc />
    public void CopyFrame(int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"video feature '{Feature.Name}': expected a frame index in [0, {Count})");
        int size = Feature.FrameBytes;
        if (destination.Length < size)
            throw new ArgumentException($"destination holds {destination.Length} bytes; a frame of {Feature.ShapeText} needs {size}", nameof(destination));
        decoder.Frames(this).AsSpan(index * size, size).CopyTo(destination);
    }
}
