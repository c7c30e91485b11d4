using SkiaSharp;

namespace ImmisciblePolicy.Images.Data;

/// <summary>
/// A folder of PNG/JPEG images as an <see cref="ImageDataset"/>, so users can train on their own pictures.
/// Every file is decoded with SkiaSharp, resized to size x size (high-quality filtering, aspect ratio not kept)
/// and converted to grayscale (ITU-R BT.601 luma) or RGB. Sub-folders, when present, are classes
/// (sorted by name, as torchvision's ImageFolder does); otherwise the set is unlabelled.
/// </summary>
public static class ImageFolderDataset
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Loads every image under <paramref name="directory"/>.</summary>
    /// <param name="size">output height and width in pixels (>= 4).</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    public static ImageDataset Load(string directory, int size, int channels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"image folder not found: {directory}");
        if (size < 4) throw new ArgumentOutOfRangeException(nameof(size), size, "image size must be at least 4 pixels");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (grayscale) or 3 (RGB)");

        var classDirs = Directory.GetDirectories(directory).OrderBy(d => d, StringComparer.Ordinal)
            .Where(d => ImageFiles(d).Any()).ToArray();
        var files = new List<(string Path, int Label)>();
        if (classDirs.Length > 0)
            for (int c = 0; c < classDirs.Length; c++)
                files.AddRange(ImageFiles(classDirs[c]).Select(f => (f, c)));
        else
            files.AddRange(ImageFiles(directory).Select(f => (f, -1)));
        if (files.Count == 0)
            throw new InvalidDataException($"{directory} holds no .png/.jpg/.jpeg images (directly or in class sub-folders)");

        int imageSize = channels * size * size;
        var pixels = new byte[files.Count * imageSize];
        for (int i = 0; i < files.Count; i++)
            Decode(files[i].Path, size, channels).CopyTo(pixels, i * imageSize);
        bool labelled = classDirs.Length > 0;
        return new ImageDataset(pixels, files.Count, channels, size, size,
            labelled ? files.Select(f => f.Label).ToArray() : null,
            labelled ? classDirs.Length : 0,
            labelled ? classDirs.Select(Path.GetFileName).Select(n => n!).ToArray() : null);
    }

    /// <summary>Decodes one file to (C, size, size) bytes.</summary>
    /// <exception cref="InvalidDataException">the file is not a decodable image; the message names it.</exception>
    public static byte[] Decode(string path, int size, int channels)
    {
        using var original = SKBitmap.Decode(path)
            ?? throw new InvalidDataException($"{path}: not a decodable PNG/JPEG image");
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var resized = original.Width == size && original.Height == size && original.ColorType == SKColorType.Rgba8888
            ? original.Copy()
            : original.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell))
              ?? throw new InvalidDataException($"{path}: could not resize to {size}x{size}");
        var result = new byte[channels * size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                var c = resized.GetPixel(x, y);
                int i = y * size + x;
                if (channels == 1)
                    result[i] = (byte)Math.Clamp(Math.Round(0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue), 0, 255);
                else
                {
                    result[i] = c.Red;
                    result[size * size + i] = c.Green;
                    result[2 * size * size + i] = c.Blue;
                }
            }
        return result;
    }

    private static IEnumerable<string> ImageFiles(string directory) =>
        Directory.GetFiles(directory).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal);
}
