namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// One camera's frames of one episode: <see cref="Count"/> frames of H x W x C uint8, row-major HWC. Sources
/// may hold the frames in memory, decode PNG cells of a Parquet file or stream a video on demand, so callers
/// copy a frame out instead of holding references; implementations are safe for concurrent readers.
/// </summary>
public interface IImageFrames
{
    /// <summary>Shape and name of every frame.</summary>
    ImageFeature Feature { get; }

    /// <summary>Number of frames (equals the episode's length).</summary>
    int Count { get; }

    /// <summary>Copies frame <paramref name="index"/> (H x W x C bytes, HWC) into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">index outside [0, Count).</exception>
    /// <exception cref="ArgumentException">destination shorter than <see cref="ImageFeature.FrameBytes"/>.</exception>
    void CopyFrame(int index, Span<byte> destination);
}
