using SkiaSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Output;

/// <summary>PNG output: sample grids and side-by-side panels from [-1, 1] image tensors.</summary>
public static class ImagePng
{
    /// <summary>
    /// Writes <paramref name="images"/> (B, C, H, W) in [-1, 1] (values outside are clipped) as a grid with
    /// <paramref name="columns"/> columns, each pixel repeated <paramref name="scale"/> times, 2-pixel gutters.
    /// </summary>
    public static void WriteGrid(string path, Tensor images, int columns, int scale = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] is not (1 or 3))
            throw new ArgumentException($"images must be (B, 1 or 3, H, W); received [{string.Join(", ", images.shape)}]", nameof(images));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "at least one column");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be at least 1");
        int b = (int)images.shape[0], c = (int)images.shape[1], h = (int)images.shape[2], w = (int)images.shape[3];
        int cols = Math.Min(columns, b), rows = (b + cols - 1) / cols;
        const int Gutter = 2;
        int cellW = w * scale + Gutter, cellH = h * scale + Gutter;
        var bytes = ToBytes(images);
        using var bitmap = new SKBitmap(cols * cellW + Gutter, rows * cellH + Gutter, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(40, 40, 40));
        for (int n = 0; n < b; n++)
        {
            int ox = Gutter + n % cols * cellW, oy = Gutter + n / cols * cellH;
            for (int y = 0; y < h * scale; y++)
                for (int x = 0; x < w * scale; x++)
                {
                    int p = (y / scale) * w + x / scale, baseIdx = n * c * h * w;
                    byte r = bytes[baseIdx + p];
                    var color = c == 1 ? new SKColor(r, r, r) : new SKColor(r, bytes[baseIdx + h * w + p], bytes[baseIdx + 2 * h * w + p]);
                    bitmap.SetPixel(ox + x, oy + y, color);
                }
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>Reads a PNG/JPEG as (1, C, H, W) float32 in [-1, 1] at its own size.</summary>
    public static Tensor Read(string path, int channels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: {path}", path);
        int h, w;
        using (var codec = SKCodec.Create(path) ?? throw new InvalidDataException($"{path}: not a decodable PNG/JPEG image"))
        {
            h = codec.Info.Height;
            w = codec.Info.Width;
        }
        if (h != w) throw new InvalidDataException($"{path}: images must be square; received {w}x{h}");
        var bytes = Data.ImageFolderDataset.Decode(path, h, channels);
        return tensor(bytes.Select(v => v / 127.5f - 1f).ToArray()).reshape(1, channels, h, w); // (1, C, H, W)
    }

    /// <summary>[-1, 1] floats to 0..255 bytes, rounding to nearest.</summary>
    internal static byte[] ToBytes(Tensor images)
    {
        using var scope = NewDisposeScope();
        var f = images.detach().to(CPU).to_type(ScalarType.Float32).clamp(-1, 1).add(1).mul(127.5).round().contiguous(); // (B, C, H, W)
        return f.data<float>().Select(v => (byte)v).ToArray();
    }
}
