using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public class ImageFramesTests
{
    private static readonly ImageFeature Camera = new("observation.image", 2, 3, 3);

    private static byte[] Frame(byte seed) => Enumerable.Range(0, Camera.FrameBytes).Select(i => (byte)(seed + i)).ToArray();

    private static Episode EpisodeWith(IImageFrames frames, int length) =>
        Episode.FromFrames(
            Enumerable.Range(0, length).Select(t => new float[] { t }).ToList(),
            Enumerable.Range(0, length).Select(t => new float[] { -t }).ToList(),
            fps: 10,
            images: new Dictionary<string, IImageFrames> { [frames.Feature.Name] = frames });

    [Fact]
    public void InMemoryFrames_CopyFrame_ReturnsTheFrameStoredAtThatIndex()
    {
        var frames = new InMemoryImageFrames(Camera, [Frame(0), Frame(100)]);
        var buffer = new byte[Camera.FrameBytes];
        frames.CopyFrame(1, buffer);
        Assert.Equal(Frame(100), buffer);
        Assert.Equal(2, frames.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => frames.CopyFrame(2, buffer));
        Assert.Throws<ArgumentException>(() => frames.CopyFrame(0, new byte[Camera.FrameBytes - 1]));
    }

    [Fact]
    public void InMemoryFrames_RejectsAFrameOfTheWrongSize_NamingTheFeatureAndFrame()
    {
        var e = Assert.Throws<ArgumentException>(() => new InMemoryImageFrames(Camera, [Frame(0), new byte[5]]));
        Assert.Contains("observation.image", e.Message, StringComparison.Ordinal);
        Assert.Contains("frame 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 2, 2, 3)]
    [InlineData("observation.image", 0, 2, 3)]
    [InlineData("observation.image", 2, 2, 4)]
    public void ImageFeature_Validate_RejectsBadShapes(string name, int h, int w, int c) =>
        Assert.Throws<ArgumentException>(() => new ImageFeature(name, h, w, c).Validate());

    [Fact]
    public void Episode_RejectsImagesWhoseFrameCountDiffersFromItsLength()
    {
        var frames = new InMemoryImageFrames(Camera, [Frame(0), Frame(1)]);
        var e = Assert.Throws<ArgumentException>(() => EpisodeWith(frames, 3));
        Assert.Contains("expected 3 frames", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dataset_ExposesImageFeatures_AndRejectsEpisodesWithOtherCameras()
    {
        var a = EpisodeWith(new InMemoryImageFrames(Camera, [Frame(0), Frame(1)]), 2);
        var b = EpisodeWith(new InMemoryImageFrames(Camera, [Frame(2), Frame(3), Frame(4)]), 3);
        var dataset = new DemonstrationDataset([a, b], 10, ["s"], ["a"], ["task"]);
        Assert.Equal([Camera], dataset.ImageFeatures);

        var other = Camera with { Name = "observation.images.wrist" };
        var c = EpisodeWith(new InMemoryImageFrames(other, [Frame(0), Frame(1)]), 2);
        var e = Assert.Throws<ArgumentException>(() => new DemonstrationDataset([a, c], 10, ["s"], ["a"], ["task"]));
        Assert.Contains("observation.images.wrist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StateOnlyDataset_HasNoImageFeatures()
    {
        var ep = Episode.FromFrames([new float[] { 0 }], [new float[] { 0 }], fps: 10);
        Assert.Empty(new DemonstrationDataset([ep], 10, ["s"], ["a"], ["task"]).ImageFeatures);
        Assert.Empty(ep.Images);
    }
}
