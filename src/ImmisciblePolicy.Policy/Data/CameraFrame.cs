namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// One camera image handed to a policy: H x W x C uint8, row-major HWC (RGB for 3 channels), named by its image
/// feature key. The fields are what a wire message carries (name, shape, bytes), so a request maps onto it directly.
/// </summary>
/// <param name="Camera">image feature key, e.g. "observation.image".</param>
/// <param name="Height">rows H.</param>
/// <param name="Width">columns W.</param>
/// <param name="Channels">C: 3 (RGB) or 1.</param>
/// <param name="Pixels">H x W x C bytes.</param>
public sealed record CameraFrame(string Camera, int Height, int Width, int Channels, byte[] Pixels)
{
    /// <summary>A frame of <paramref name="feature"/>'s shape.</summary>
    public static CameraFrame Of(ImageFeature feature, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(feature);
        return new CameraFrame(feature.Name, feature.Height, feature.Width, feature.Channels, pixels);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless the frame has <paramref name="expected"/>'s name, shape and byte count.</summary>
    public void Validate(ImageFeature expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (Camera != expected.Name)
            throw new ArgumentException($"expected a frame of camera '{expected.Name}'; got '{Camera}'", nameof(Camera));
        if (Height != expected.Height || Width != expected.Width || Channels != expected.Channels)
            throw new ArgumentException(
                $"camera '{Camera}': expected a frame of {expected.ShapeText}; got ({Height}, {Width}, {Channels})", nameof(Height));
        if (Pixels is null || Pixels.Length != expected.FrameBytes)
            throw new ArgumentException(
                $"camera '{Camera}': expected {expected.FrameBytes} bytes for {expected.ShapeText}; got {Pixels?.Length ?? 0}", nameof(Pixels));
    }
}
