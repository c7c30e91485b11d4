using SkiaSharp;

namespace ImmisciblePolicy.Sim.Rendering;

/// <summary>An 8-bit RGB image, row-major, 3 bytes per pixel.</summary>
public sealed record RgbFrame(int Width, int Height, byte[] Rgb)
{
    /// <summary>Copies the pixels of a Skia bitmap (any colour type) into an RGB frame.</summary>
    public static RgbFrame FromBitmap(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        var rgb = new byte[bitmap.Width * bitmap.Height * 3];
        if (bitmap.ColorType == SKColorType.Rgba8888 && bitmap.RowBytes == bitmap.Width * 4)
        {
            // Fast path for SceneRenderer's bitmaps: opaque scenes, so premultiplied = straight RGB.
            var px = bitmap.GetPixelSpan();
            for (int i = 0, j = 0; i < px.Length; i += 4, j += 3)
            {
                rgb[j] = px[i];
                rgb[j + 1] = px[i + 1];
                rgb[j + 2] = px[i + 2];
            }

            return new RgbFrame(bitmap.Width, bitmap.Height, rgb);
        }

        int k = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                rgb[k++] = c.Red;
                rgb[k++] = c.Green;
                rgb[k++] = c.Blue;
            }
        }

        return new RgbFrame(bitmap.Width, bitmap.Height, rgb);
    }
}
