using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Images.Output;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Tests.Output;

public sealed class ImagePngTests
{
    public ImagePngTests() => TorchRuntime.Configure(1);

    [Fact]
    public void WriteGridThenRead_SingleImage_RoundTripsAt8Bits()
    {
        using var dir = new TempDirectory();
        using var scope = NewDisposeScope();
        var values = Enumerable.Range(0, 64).Select(i => (byte)(i * 4)).ToArray();
        var image = tensor(values.Select(v => v / 127.5f - 1f).ToArray()).reshape(1, 1, 8, 8);
        ImagePng.WriteGrid(dir.File("g.png"), image, columns: 1);
        // the grid has a 2-pixel gutter; crop it by reading the raw PNG through SkiaSharp
        using var bitmap = SkiaSharp.SKBitmap.Decode(dir.File("g.png"));
        Assert.Equal(12, bitmap.Width);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                Assert.Equal(values[y * 8 + x], bitmap.GetPixel(x + 2, y + 2).Red);
    }

    [Fact]
    public void Read_ReturnsMinusOneToOneAtFileSize()
    {
        using var dir = new TempDirectory();
        Data.ImageFolderDatasetTests.WriteSolidPng(dir.File("w.png"), 6, SkiaSharp.SKColors.White);
        using var scope = NewDisposeScope();
        var t = ImagePng.Read(dir.File("w.png"), 1);
        Assert.Equal(new long[] { 1, 1, 6, 6 }, t.shape);
        Assert.All(t.data<float>().ToArray(), v => Assert.Equal(1f, v));
    }
}
