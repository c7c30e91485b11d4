using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public class SequenceSamplerImageTests
{
    [Fact]
    public void Batch_CarriesTheFramesOfTheObservationSteps_WithTheSameEdgePaddingAsStates()
    {
        var feature = new ImageFeature("observation.image", 2, 3);
        int length = 5;
        // Frame t is filled with the byte 10 + t, and its state is (t, -t).
        var frames = Enumerable.Range(0, length).Select(t => Enumerable.Repeat((byte)(10 + t), feature.FrameBytes).ToArray()).ToList();
        var episode = Episode.FromFrames(
            Enumerable.Range(0, length).Select(t => new float[] { t, -t }).ToList(),
            Enumerable.Range(0, length).Select(t => new float[] { t }).ToList(), 10,
            images: new Dictionary<string, IImageFrames> { [feature.Name] = new InMemoryImageFrames(feature, frames) });
        var dataset = new DemonstrationDataset([episode], 10, ["a", "b"], ["x"], ["task"]);
        var sampler = new SequenceSampler(dataset, new SequenceHorizons(ObservationSteps: 2, PredictionHorizon: 4, ActionSteps: 2));

        // Window 0 starts at -1 (pad_before = To - 1): frames [0, 0]; window 2 starts at 1: frames [1, 2].
        var batch = sampler.Batch([0, 2]);
        var images = Assert.Single(batch.CameraFrames);
        Assert.Equal(2 * 2 * feature.FrameBytes, images.Length);
        byte[] expectedFrames = [10, 10, 11, 12];
        for (int k = 0; k < 4; k++)
        {
            Assert.All(images.AsSpan(k * feature.FrameBytes, feature.FrameBytes).ToArray(), v => Assert.Equal(expectedFrames[k], v));
            Assert.Equal(expectedFrames[k] - 10, batch.Observations[k * 2]);
        }
    }

    [Fact]
    public void StateOnlyDatasets_HaveNoCameraFrames()
    {
        var episode = Episode.FromFrames([new float[] { 1 }, new float[] { 2 }], [new float[] { 1 }, new float[] { 2 }], 10);
        var sampler = new SequenceSampler(new DemonstrationDataset([episode], 10, ["s"], ["a"], ["t"]), new SequenceHorizons(1, 2, 1));
        Assert.Empty(sampler.Batch([0]).CameraFrames);
    }
}
