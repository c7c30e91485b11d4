using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class PngCodecTests : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public void Encode_ThenDecode_ReturnsTheExactFrame(int channels)
    {
        var feature = new ImageFeature("observation.image", 12, 16, channels);
        byte[] frame = CameraFixtures.Frame(feature, 1, 4);

        byte[] png = PngCodec.Encode(feature, frame);
        var back = new byte[feature.FrameBytes];
        PngCodec.Decode(png, feature, back, "test");

        Assert.Equal(frame, back);
        // IHDR: 8-bit depth, colour type 2 (RGB) or 0 (grey): what PIL writes for "RGB" / "L" images.
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal(8, png[24]);
        Assert.Equal(channels == 3 ? 2 : 0, png[25]);
    }

    [Fact]
    public void Encode_WritesAPngThatPilReadsBackAsTheSameRgbArray()
    {
        var feature = CameraFixtures.Camera;
        byte[] frame = CameraFixtures.Frame(feature, 2, 7);
        string path = scratch.Combine("ours.png");
        File.WriteAllBytes(path, PngCodec.Encode(feature, frame));

        string output = PythonOracle.Run("""
            import sys, numpy as np, PIL.Image
            with PIL.Image.open(sys.argv[1]) as image:
                print(image.mode, image.size[0], image.size[1])
                print(np.asarray(image.convert("RGB"), dtype=np.uint8).tobytes().hex())
            """, path);

        string[] lines = output.Trim().Split('\n');
        Assert.Equal($"RGB {feature.Width} {feature.Height}", lines[0].Trim());
        Assert.Equal(Convert.ToHexStringLower(frame), lines[1].Trim());
    }

    [Fact]
    public void Decode_ReadsPngsWrittenByPilAsLeRobotWritesThem()
    {
        // LeRobot's image_writer.write_image: PIL.Image.fromarray(uint8 HWC).save(path, compress_level=6) for image features.
        var feature = CameraFixtures.Camera;
        byte[] frame = CameraFixtures.Frame(feature, 0, 3);
        string path = scratch.Combine("pil.png");
        PythonOracle.Run("""
            import sys, numpy as np, PIL.Image
            h, w = int(sys.argv[2]), int(sys.argv[3])
            array = np.frombuffer(bytes.fromhex(sys.argv[4]), dtype=np.uint8).reshape(h, w, 3)
            PIL.Image.fromarray(array).save(sys.argv[1], compress_level=6)
            """, path, $"{feature.Height}", $"{feature.Width}", Convert.ToHexStringLower(frame));

        var decoded = new byte[feature.FrameBytes];
        PngCodec.Decode(File.ReadAllBytes(path), feature, decoded, path);

        Assert.Equal(frame, decoded);
    }

    [Fact]
    public void Decode_OfAnImageOfAnotherSize_FailsNamingTheFeatureTheSourceAndBothShapes()
    {
        var small = new ImageFeature("observation.image", 4, 5, 3);
        byte[] png = PngCodec.Encode(small, new byte[small.FrameBytes]);

        var error = Assert.Throws<InvalidDataException>(() =>
            PngCodec.Decode(png, CameraFixtures.Camera, new byte[CameraFixtures.Camera.FrameBytes], "data/chunk-000/file-000.parquet, row 9"));

        Assert.Contains("'observation.image'", error.Message, StringComparison.Ordinal);
        Assert.Contains("row 9", error.Message, StringComparison.Ordinal);
        Assert.Contains("(12, 16, 3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 x 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OfBytesThatAreNoImage_FailsNamingTheFeature()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            PngCodec.Decode(new byte[] { 1, 2, 3, 4, 5 }, CameraFixtures.Camera, new byte[CameraFixtures.Camera.FrameBytes], "cell"));
        Assert.Contains("not a decodable PNG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ForAGreyFeature_ReducesColourWithPilLumaWeights()
    {
        var rgb = new ImageFeature("cam", 1, 3, 3);
        byte[] png = PngCodec.Encode(rgb, [255, 0, 0, 0, 255, 0, 10, 20, 30]);
        var grey = new byte[3];

        PngCodec.Decode(png, rgb with { Channels = 1 }, grey, "cell");

        // PIL convert("L"): (19595 R + 38470 G + 7471 B + 32768) >> 16.
        Assert.Equal(new byte[] { 76, 150, 18 }, grey);
    }

    [Fact]
    public void PngFrames_KeepCompressedBytes_AndDecodeFramesOnDemand()
    {
        var raw = CameraFixtures.Frames(CameraFixtures.Camera, 0, 5);
        PngImageFrames png = PngImageFrames.Encode(raw);

        Assert.Equal(5, png.Count);
        Assert.True(png.CompressedBytes < 5L * CameraFixtures.Camera.FrameBytes, $"{png.CompressedBytes} PNG bytes for 5 raw frames");
        var a = new byte[CameraFixtures.Camera.FrameBytes];
        var b = new byte[CameraFixtures.Camera.FrameBytes];
        raw.CopyFrame(3, a);
        png.CopyFrame(3, b);
        Assert.Equal(a, b);
        Assert.Same(png, PngImageFrames.Encode(png));
        Assert.Throws<ArgumentOutOfRangeException>(() => png.CopyFrame(5, b));
    }
}
