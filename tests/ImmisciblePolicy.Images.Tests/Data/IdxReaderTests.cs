using System.Buffers.Binary;
using System.IO.Compression;
using ImmisciblePolicy.Images.Data;

namespace ImmisciblePolicy.Images.Tests.Data;

public sealed class IdxReaderTests
{
    internal static byte[] ImagesFile(int count, int rows, int cols, Func<int, byte> pixel, int magic = IdxReader.ImagesMagic)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 0; i < count * rows * cols; i++) bytes[16 + i] = pixel(i);
        return bytes;
    }

    internal static byte[] LabelsFile(byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    internal static void WriteGz(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(content);
    }

    [Fact]
    public void ReadImages_RawAndGzip_RoundTripDimensionsAndBytes()
    {
        using var dir = new TempDirectory();
        var content = ImagesFile(3, 4, 5, i => (byte)(i * 7 % 256));
        File.WriteAllBytes(dir.File("x-idx3-ubyte"), content);
        WriteGz(dir.File("x-idx3-ubyte.gz"), content);
        foreach (var name in new[] { "x-idx3-ubyte", "x-idx3-ubyte.gz" })
        {
            var (count, rows, cols, pixels) = IdxReader.ReadImages(dir.File(name));
            Assert.Equal((3, 4, 5), (count, rows, cols));
            Assert.Equal(content.AsSpan(16).ToArray(), pixels);
        }
    }

    [Fact]
    public void ReadLabels_Gzip_ReturnsEveryLabel()
    {
        using var dir = new TempDirectory();
        WriteGz(dir.File("y.gz"), LabelsFile([3, 1, 4, 1, 5]));
        Assert.Equal(new byte[] { 3, 1, 4, 1, 5 }, IdxReader.ReadLabels(dir.File("y.gz")));
    }

    [Fact]
    public void ReadImages_LabelsFile_ErrorNamesFileAndMagic()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("labels"), LabelsFile([1, 2]));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(dir.File("labels")));
        Assert.Contains(dir.File("labels"), e.Message);
        Assert.Contains("0x00000801", e.Message);
        Assert.Contains("swapped", e.Message);
    }

    [Fact]
    public void ReadImages_TruncatedData_ErrorSaysHowManyBytesAreMissing()
    {
        using var dir = new TempDirectory();
        var content = ImagesFile(2, 3, 3, _ => 1);
        File.WriteAllBytes(dir.File("short"), content.AsSpan(0, content.Length - 4).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(dir.File("short")));
        Assert.Contains("truncated data", e.Message);
        Assert.Contains("18", e.Message);
        Assert.Contains("14", e.Message);
    }

    [Fact]
    public void ReadImages_TruncatedHeader_AndNonPositiveDimension_AreRejected()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("tiny"), [0, 0, 8, 3, 0, 0]);
        Assert.Contains("truncated header", Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(dir.File("tiny"))).Message);
        File.WriteAllBytes(dir.File("zero"), ImagesFile(0, 2, 2, _ => 0));
        Assert.Contains("dimension 0 is 0", Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(dir.File("zero"))).Message);
    }

    [Fact]
    public void ReadImages_CorruptGzip_ErrorNamesFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("bad.gz"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(dir.File("bad.gz")));
        Assert.Contains(dir.File("bad.gz"), e.Message);
    }

    [Fact]
    public void FashionMnistLoad_MissingFiles_SaysHowToInstall()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(DatasetSplit.Train, dir.Path));
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void FashionMnistLoad_OwnIdxFiles_NormalisesToMinusOneOne()
    {
        using var dir = new TempDirectory();
        WriteGz(dir.File("t10k-images-idx3-ubyte.gz"), ImagesFile(2, 2, 2, i => i < 4 ? (byte)0 : (byte)255));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte"), LabelsFile([9, 0]));
        var data = FashionMnist.Load(DatasetSplit.Test, dir.Path);
        Assert.Equal(new[] { 9, 0 }, data.Labels);
        using var images = data.Images([1, 0]);
        Assert.Equal(new float[] { 1, 1, 1, 1, -1, -1, -1, -1 }, images.data<float>().ToArray());
    }

    [Fact]
    public void FashionMnistLoad_LabelOutOfRange_IsRejected()
    {
        using var dir = new TempDirectory();
        WriteGz(dir.File("t10k-images-idx3-ubyte.gz"), ImagesFile(1, 2, 2, _ => 0));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte"), LabelsFile([10]));
        Assert.Contains("label 0 is 10", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(DatasetSplit.Test, dir.Path)).Message);
    }
}
