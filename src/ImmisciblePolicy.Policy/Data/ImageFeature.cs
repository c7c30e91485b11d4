namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// A camera observation feature of a dataset or policy: LeRobot's <c>observation.image</c> /
/// <c>observation.images.&lt;camera&gt;</c>, frames of <see cref="Height"/> x <see cref="Width"/> x
/// <see cref="Channels"/> uint8 values, row-major HWC (RGB for 3 channels), one frame per dataset frame.
/// </summary>
/// <param name="Name">feature key, e.g. "observation.image" (LeRobot's Push-T) or "observation.images.top".</param>
/// <param name="Height">rows H; 96 for Push-T.</param>
/// <param name="Width">columns W; 96 for Push-T.</param>
/// <param name="Channels">C: 3 (RGB) or 1 (grey).</param>
public sealed record ImageFeature(string Name, int Height, int Width, int Channels = 3)
{
    /// <summary>Bytes of one frame, H x W x C.</summary>
    public int FrameBytes => checked(Height * Width * Channels);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
            throw new ArgumentException("an image feature needs a name, e.g. \"observation.image\"; got an empty one", nameof(Name));
        if (Height < 1 || Width < 1)
            throw new ArgumentException($"image feature '{Name}': height and width must be positive; got {Height} x {Width}", nameof(Height));
        if (Channels is not (1 or 3))
            throw new ArgumentException($"image feature '{Name}': channels must be 1 (grey) or 3 (RGB); got {Channels}", nameof(Channels));
        if ((long)Height * Width * Channels > int.MaxValue)
            throw new ArgumentException($"image feature '{Name}': {Height} x {Width} x {Channels} is too large for one frame", nameof(Height));
    }

    /// <summary>"(H, W, C)" for messages.</summary>
    public string ShapeText => $"({Height}, {Width}, {Channels})";
}
