namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Frames kept as PNG bytes and decoded on demand: the cells of a LeRobot `image` column, or rendered frames
/// compressed as they were recorded. A 96 x 96 Push-T render is about 1-3 kB of PNG against 27 kB raw, so whole
/// datasets of compressed frames fit in memory while only the frames a batch asks for are ever decoded.
/// </summary>
public sealed class PngImageFrames : IImageFrames
{
    private readonly byte[][] pngs;
    private readonly string source;

    /// <param name="feature">name and H x W x C of every frame.</param>
    /// <param name="pngs">one PNG per frame (not copied: the caller hands them over).</param>
    /// <param name="source">where the bytes came from (file and rows), for decoding errors.</param>
    public PngImageFrames(ImageFeature feature, IReadOnlyList<byte[]> pngs, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(feature);
        ArgumentNullException.ThrowIfNull(pngs);
        feature.Validate();
        this.pngs = new byte[pngs.Count][];
        for (int t = 0; t < pngs.Count; t++)
        {
            byte[] png = pngs[t];
            if (png is null || png.Length == 0)
                throw new ArgumentException($"image feature '{feature.Name}': frame {t} has no PNG bytes", nameof(pngs));
            this.pngs[t] = png;
        }
        Feature = feature;
        this.source = source ?? "in-memory frames";
    }

    /// <summary>Compresses raw H x W x C frames (any <see cref="IImageFrames"/>) to PNG, one frame at a time.</summary>
    public static PngImageFrames Encode(IImageFrames frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames is PngImageFrames png)
            return png;
        var buffer = new byte[frames.Feature.FrameBytes];
        var encoded = new byte[frames.Count][];
        for (int t = 0; t < frames.Count; t++)
        {
            frames.CopyFrame(t, buffer);
            encoded[t] = PngCodec.Encode(frames.Feature, buffer);
        }
        return new PngImageFrames(frames.Feature, encoded);
    }

    /// <inheritdoc />
    public ImageFeature Feature { get; }

    /// <inheritdoc />
    public int Count => pngs.Length;

    /// <summary>Total PNG bytes held.</summary>
    public long CompressedBytes => pngs.Sum(p => (long)p.Length);

    /// <summary>The stored PNG of frame <paramref name="index"/> (what a LeRobot image cell holds).</summary>
    public ReadOnlyMemory<byte> Png(int index) => pngs[CheckIndex(index)];

    /// <summary>The stored array itself, for writers that hand it on without copying (never modified).</summary>
    internal byte[] PngArray(int index) => pngs[CheckIndex(index)];

    /// <inheritdoc />
    public void CopyFrame(int index, Span<byte> destination)
    {
        CheckIndex(index);
        if (destination.Length < Feature.FrameBytes)
            throw new ArgumentException($"destination holds {destination.Length} bytes; a frame of {Feature.ShapeText} needs {Feature.FrameBytes}", nameof(destination));
        PngCodec.Decode(pngs[index], Feature, destination, $"{source}, frame {index}");
    }

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)pngs.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"image feature '{Feature.Name}': expected a frame index in [0, {pngs.Length})");
        return index;
    }
}
