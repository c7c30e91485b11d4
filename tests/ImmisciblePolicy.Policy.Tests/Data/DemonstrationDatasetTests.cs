using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class DemonstrationDatasetTests
{
    [Fact]
    public void Episode_WithNaNState_IsRejectedNamingFrameAndDimension()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new Episode(2, 1, [0f, 0f, 1f, float.NaN], [0f, 1f], [0f, 0.1f]));

        Assert.Equal("states", error.ParamName);
        Assert.Contains("frame 1, dim 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Episode_WithWrongActionCount_SaysExpectedAndReceived()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new Episode(2, 2, [0f, 0f, 1f, 1f], [0f, 1f, 2f], [0f, 0.1f]));

        Assert.Contains("expected 2 x 2 = 4 action values, received 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dataset_WithEpisodesOfDifferentWidths_IsRejected()
    {
        Episode narrow = new(1, 1, [0f], [0f], [0f]);
        Episode wide = new(2, 1, [0f, 0f], [0f], [0f]);

        var error = Assert.Throws<ArgumentException>(() =>
            new DemonstrationDataset([narrow, wide], 10, ["x"], ["a"], ["task"]));

        Assert.Contains("episode 1: expected state/action widths 1/1, received 2/1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFrames_StampsFramesAtMultiplesOfOneOverFps()
    {
        Episode episode = DatasetFixtures.MakeEpisode(0, 4, fps: 10);

        Assert.Equal(new[] { 0f, 0.1f, 0.2f, 0.3f }, episode.Timestamps.ToArray());
        Assert.Equal(4, episode.Length);
    }

    [Fact]
    public void Concatenated_StacksEpisodesInOrder()
    {
        DemonstrationDataset dataset = DatasetFixtures.MakeBareDataset(2, 1);

        Assert.Equal(new float[] { 0, 0, 1, -1, 10, -10 }, dataset.ConcatenatedStates());
        Assert.Equal(new float[] { 0, 1, 100 }, dataset.ConcatenatedActions());
    }
}
