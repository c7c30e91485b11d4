namespace ImmisciblePolicy.Policy.Data;

/// <summary>Frames held in memory (rendered demonstrations, recorded telemetry, tests). Copies its input.</summary>
public sealed class InMemoryImageFrames : IImageFrames
{
    private readonly byte[] pixels;

    /// <param name="feature">name and H x W x C of every frame.</param>
    /// <param name="frames">one H x W x C array per frame, HWC.</param>
    public InMemoryImageFrames(ImageFeature feature, IReadOnlyList<byte[]> frames)
    {
        ArgumentNullException.ThrowIfNull(feature);
        ArgumentNullException.ThrowIfNull(frames);
        feature.Validate();
        int size = feature.FrameBytes;
        pixels = new byte[checked((long)frames.Count * size)];
        for (int t = 0; t < frames.Count; t++)
        {
            var frame = frames[t] ?? throw new ArgumentException($"image feature '{feature.Name}': frame {t} is null", nameof(frames));
            if (frame.Length != size)
                throw new ArgumentException(
                    $"image feature '{feature.Name}': frame {t} has {frame.Length} bytes; expected {feature.ShapeText} = {size}", nameof(frames));
            frame.CopyTo(pixels, (long)t * size);
        }
        Feature = feature;
        Count = frames.Count;
    }

    /// <inheritdoc />
    public ImageFeature Feature { get; }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public void CopyFrame(int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"image feature '{Feature.Name}': expected a frame index in [0, {Count})");
        int size = Feature.FrameBytes;
        if (destination.Length < size)
            throw new ArgumentException($"destination holds {destination.Length} bytes; a frame of {Feature.ShapeText} needs {size}", nameof(destination));
        pixels.AsSpan(index * size, size).CopyTo(destination);
    }
}
