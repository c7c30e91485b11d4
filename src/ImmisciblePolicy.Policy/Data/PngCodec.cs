using SkiaSharp;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// PNG encoding and decoding of camera frames (H x W x C uint8, HWC), as LeRobot stores `image` features: one
/// PNG per frame in the data Parquet files (huggingface/lerobot datasets/image_writer.py write_image, PIL
/// <c>Image.save(..., compress_level=6)</c>; read back with PIL <c>.convert("RGB")</c>). Decoding applies no colour
/// management (no ICC or gamma conversion) and never premultiplies alpha, so the bytes come back as stored;
/// an alpha channel is dropped as PIL's <c>convert("RGB")</c> drops it. Thread-safe: every call owns its Skia objects.
/// </summary>
public static class PngCodec
{
    /// <summary>zlib level of PIL's PNG writer as LeRobot calls it for image features (compress_level = 6).</summary>
    public const int ZLibLevel = 6;

    /// <summary>Encodes one H x W x C frame (C = 3: RGB, C = 1: grey) as an 8-bit PNG (colour type 2 or 0).</summary>
    /// <exception cref="ArgumentException">the frame does not hold exactly <see cref="ImageFeature.FrameBytes"/> bytes.</exception>
    public static byte[] Encode(ImageFeature feature, ReadOnlySpan<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(feature);
        feature.Validate();
        if (frame.Length != feature.FrameBytes)
            throw new ArgumentException(
                $"image feature '{feature.Name}': a frame of {feature.ShapeText} has {feature.FrameBytes} bytes; received {frame.Length}", nameof(frame));

        // Opaque RGBA is written as PNG colour type 2 (RGB) by Skia's encoder; Gray8 as colour type 0.
        var info = feature.Channels == 1
            ? new SKImageInfo(feature.Width, feature.Height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(feature.Width, feature.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Span<byte> pixels = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes;
        int w = feature.Width;
        for (int y = 0; y < feature.Height; y++)
        {
            Span<byte> row = pixels.Slice(y * rowBytes, rowBytes);
            if (feature.Channels == 1)
            {
                frame.Slice(y * w, w).CopyTo(row);
                continue;
            }
            ReadOnlySpan<byte> source = frame.Slice(y * w * 3, w * 3);
            for (int x = 0; x < w; x++)
            {
                row[4 * x] = source[3 * x];
                row[(4 * x) + 1] = source[(3 * x) + 1];
                row[(4 * x) + 2] = source[(3 * x) + 2];
                row[(4 * x) + 3] = 255;
            }
        }

        using SKPixmap pixmap = bitmap.PeekPixels();
        using SKData data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, ZLibLevel))
            ?? throw new InvalidOperationException($"image feature '{feature.Name}': SkiaSharp could not encode a {feature.ShapeText} frame as PNG");
        return data.ToArray();
    }

    /// <summary>
    /// Decodes a PNG (or any image Skia reads: JPEG, WebP) into <paramref name="destination"/> as H x W x C, checking
    /// its size against <paramref name="feature"/>. For C = 1 a colour image is reduced to luma with PIL's
    /// <c>convert("L")</c> weights (L = (19595 R + 38470 G + 7471 B + 2^15) >> 16).
    /// </summary>
    /// <param name="where">where the bytes came from (file, row), for error messages.</param>
    /// <exception cref="InvalidDataException">the bytes are not a decodable image, or its size differs from the feature's.</exception>
    public static void Decode(ReadOnlySpan<byte> png, ImageFeature feature, Span<byte> destination, string where)
    {
        ArgumentNullException.ThrowIfNull(feature);
        if (destination.Length < feature.FrameBytes)
            throw new ArgumentException($"destination holds {destination.Length} bytes; a frame of {feature.ShapeText} needs {feature.FrameBytes}", nameof(destination));
        using SKData data = SKData.CreateCopy(png);
        using SKCodec codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{where}: image feature '{feature.Name}' holds {png.Length} bytes that are not a decodable PNG");
        SKImageInfo source = codec.Info;
        if (source.Width != feature.Width || source.Height != feature.Height)
            throw new InvalidDataException(
                $"{where}: image feature '{feature.Name}' declares frames of {feature.ShapeText} (H, W, C) but holds a {source.Height} x {source.Width} image");

        // Unpremultiplied RGBA without a colour space: Skia then converts neither colours nor alpha.
        var info = new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not SKCodecResult.Success)
            throw new InvalidDataException($"{where}: image feature '{feature.Name}' could not be decoded as PNG ({result})");

        ReadOnlySpan<byte> pixels = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes, w = feature.Width;
        for (int y = 0; y < feature.Height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(y * rowBytes, w * 4);
            if (feature.Channels == 3)
            {
                Span<byte> target = destination.Slice(y * w * 3, w * 3);
                for (int x = 0; x < w; x++)
                {
                    target[3 * x] = row[4 * x];
                    target[(3 * x) + 1] = row[(4 * x) + 1];
                    target[(3 * x) + 2] = row[(4 * x) + 2];
                }
            }
            else
            {
                Span<byte> target = destination.Slice(y * w, w);
                for (int x = 0; x < w; x++)
                    target[x] = Luma(row[4 * x], row[(4 * x) + 1], row[(4 * x) + 2]);
            }
        }
    }

    /// <summary>PIL's ITU-R 601-2 luma in fixed point (libImaging/Convert.c, L24).</summary>
    internal static byte Luma(byte r, byte g, byte b) => (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 0x8000) >> 16);
}
