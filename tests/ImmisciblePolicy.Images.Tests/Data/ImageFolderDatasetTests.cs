using ImmisciblePolicy.Images.Data;
using SkiaSharp;

namespace ImmisciblePolicy.Images.Tests.Data;

public sealed class ImageFolderDatasetTests
{
    internal static void WriteSolidPng(string path, int size, SKColor color)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Fact]
    public void Load_ClassSubfolders_AreSortedLabelsAndPixelsAreResized()
    {
        using var dir = new TempDirectory();
        WriteSolidPng(Path.Combine(dir.Path, "b_red", "1.png"), 20, new SKColor(200, 0, 0));
        WriteSolidPng(Path.Combine(dir.Path, "a_blue", "1.png"), 8, new SKColor(0, 0, 100));
        WriteSolidPng(Path.Combine(dir.Path, "a_blue", "2.png"), 8, new SKColor(0, 0, 100));
        var data = ImageFolderDataset.Load(dir.Path, 8, 3);
        Assert.Equal(3, data.Count);
        Assert.Equal(new[] { "a_blue", "b_red" }, data.ClassNames);
        Assert.Equal(new[] { 0, 0, 1 }, data.Labels);
        Assert.Equal((3, 8, 8), (data.Channels, data.Height, data.Width));
        int plane = 64;
        Assert.Equal(200, data.Pixels[2 * 3 * plane + 10]); // red plane of the resized red image
        Assert.Equal(100, data.Pixels[2 * plane + 5]); // blue plane of the first blue image
    }

    [Fact]
    public void Load_Grayscale_UsesBt601Luma()
    {
        using var dir = new TempDirectory();
        WriteSolidPng(Path.Combine(dir.Path, "x.png"), 4, new SKColor(100, 200, 50));
        var data = ImageFolderDataset.Load(dir.Path, 4, 1);
        Assert.Null(data.Labels);
        Assert.Equal((byte)Math.Round(0.299 * 100 + 0.587 * 200 + 0.114 * 50), data.Pixels[0]);
    }

    [Fact]
    public void Load_EmptyFolder_AndBadChannels_AreRejected()
    {
        using var dir = new TempDirectory();
        Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Load(dir.Path, 8, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFolderDataset.Load(dir.Path, 8, 2));
    }
}
