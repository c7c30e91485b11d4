using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class SequenceSamplerTests
{
    // Episodes of 3, 5 and 1 frames; episode e, frame t: state (10e + t, -(10e + t)), action 100e + t.
    private static readonly DemonstrationDataset Tiny = DatasetFixtures.MakeBareDataset(3, 5, 1);

    // To = 2, Tp = 4, Ta = 2: pad_before = 1, pad_after = 1.
    private static readonly SequenceHorizons Small = new(ObservationSteps: 2, PredictionHorizon: 4, ActionSteps: 2);

    [Fact]
    public void Windows_OnTinyDataset_AreTheHandCountedStarts()
    {
        var sampler = new SequenceSampler(Tiny, Small);

        // Starts run from -pad_before to L - Tp + pad_after: L = 3 -> {-1, 0}; L = 5 -> {-1, 0, 1, 2};
        // L = 1 -> -1..-2, none.
        Assert.Equal(6, sampler.Count);
        Assert.Equal(
            [(0, -1), (0, 0), (1, -1), (1, 0), (1, 1), (1, 2)],
            Enumerable.Range(0, sampler.Count).Select(sampler.Window));
    }

    [Fact]
    public void Sample_AtEpisodeStart_RepeatsTheFirstFrame()
    {
        SequenceBatch first = new SequenceSampler(Tiny, Small).Sample(0);

        // Window (episode 0, start -1) covers frames [0, 0, 1, 2].
        Assert.Equal(new float[] { 0, 0, 0, 0 }, first.Observations);   // (To = 2, n = 2): frames 0, 0
        Assert.Equal(new float[] { 0, 0, 1, 2 }, first.Actions);        // (Tp = 4, m = 1)
    }

    [Fact]
    public void Sample_AtEpisodeEnd_RepeatsTheLastFrame()
    {
        var sampler = new SequenceSampler(Tiny, Small);

        SequenceBatch endOfFirst = sampler.Sample(1);  // episode 0, start 0: frames [0, 1, 2, 2]
        SequenceBatch endOfSecond = sampler.Sample(5); // episode 1, start 2: frames [2, 3, 4, 4]

        Assert.Equal(new float[] { 0, 0, 1, -1 }, endOfFirst.Observations);
        Assert.Equal(new float[] { 0, 1, 2, 2 }, endOfFirst.Actions);
        Assert.Equal(new float[] { 12, -12, 13, -13 }, endOfSecond.Observations);
        Assert.Equal(new float[] { 102, 103, 104, 104 }, endOfSecond.Actions);
    }

    [Theory]
    [InlineData(2, 16, 8)]
    [InlineData(1, 4, 1)]
    [InlineData(3, 8, 4)]
    [InlineData(1, 1, 1)]
    public void EveryWindow_MatchesABruteForcePortOfDiffusionPolicyCreateIndices(int to, int tp, int ta)
    {
        int[] lengths = [1, 2, 5, 9, 16, 17, 30];
        DemonstrationDataset dataset = DatasetFixtures.MakeBareDataset(lengths);
        var sampler = new SequenceSampler(dataset, new SequenceHorizons(to, tp, ta));

        var expected = ReferenceSamples(lengths, tp, padBefore: to - 1, padAfter: ta - 1);

        Assert.Equal(expected.Count, sampler.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            SequenceBatch sample = sampler.Sample(i);
            var (episode, frames) = expected[i];
            float[] actions = [.. frames.Select(f => 100f * episode + f)];
            float[] observations = [.. frames.Take(to).SelectMany(f => new float[] { 10 * episode + f, -(10 * episode + f) })];
            Assert.Equal(actions, sample.Actions);
            Assert.Equal(observations, sample.Observations);
        }
    }

    [Fact]
    public void PushTDefaults_GiveLengthMinusSevenWindowsPerEpisode()
    {
        // Tp = 16, pad_before = 1, pad_after = 7: L - 16 + 1 + 7 + 1 = L - 7.
        var sampler = new SequenceSampler(DatasetFixtures.MakeBareDataset(20, 100), new SequenceHorizons());

        Assert.Equal(13 + 93, sampler.Count);
    }

    [Fact]
    public void SampleBatch_WithTheSameSeed_IsIdentical_AndRowsAreDistinctWindows()
    {
        var sampler = new SequenceSampler(DatasetFixtures.MakeBareDataset(9, 12), Small);

        SequenceBatch a = sampler.SampleBatch(5, new Random(1234));
        SequenceBatch b = sampler.SampleBatch(5, new Random(1234));
        SequenceBatch c = sampler.SampleBatch(5, new Random(4321));

        Assert.Equal(a.Actions, b.Actions);
        Assert.Equal(a.Observations, b.Observations);
        Assert.NotEqual(a.Actions, c.Actions);
        // Each row is one window's sample, and no window repeats within the batch.
        var all = Enumerable.Range(0, sampler.Count).Select(i => string.Join(",", sampler.Sample(i).Actions)).ToList();
        var rows = Enumerable.Range(0, 5).Select(r => string.Join(",", a.Actions.Skip(r * 4).Take(4))).ToList();
        Assert.All(rows, row => Assert.Contains(row, all));
        Assert.Equal(5, rows.Distinct().Count());
    }

    [Fact]
    public void Shuffle_IsAPermutationOfAllWindows()
    {
        var sampler = new SequenceSampler(DatasetFixtures.MakeBareDataset(9, 12), Small);

        int[] order = sampler.Shuffle(new Random(7));

        Assert.Equal(Enumerable.Range(0, sampler.Count), order.Order());
    }

    [Fact]
    public void Horizons_WhereExecutedActionsOverrunThePrediction_AreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new SequenceSampler(Tiny, new SequenceHorizons(2, 4, 4)));

        Assert.Contains("To - 1 + Ta = 5 > Tp = 4", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Literal port of diffusion_policy create_indices + sample_sequence: buffer slice [buffer_start,
    /// buffer_end) placed at [sample_start, sample_end) of the window, the rest filled with the slice's
    /// first / last element. Returns, per window, its episode and the frame index at each step.
    /// </summary>
    private static List<(int Episode, int[] Frames)> ReferenceSamples(int[] lengths, int sequenceLength, int padBefore, int padAfter)
    {
        padBefore = Math.Min(Math.Max(padBefore, 0), sequenceLength - 1);
        padAfter = Math.Min(Math.Max(padAfter, 0), sequenceLength - 1);
        var result = new List<(int, int[])>();
        for (int e = 0; e < lengths.Length; e++)
        {
            int episodeLength = lengths[e];
            for (int idx = -padBefore; idx <= episodeLength - sequenceLength + padAfter; idx++)
            {
                int bufferStart = Math.Max(idx, 0);
                int bufferEnd = Math.Min(idx + sequenceLength, episodeLength);
                int sampleStart = bufferStart - idx;
                int sampleEnd = sequenceLength - (idx + sequenceLength - bufferEnd);
                int[] slice = [.. Enumerable.Range(bufferStart, bufferEnd - bufferStart)];
                var frames = new int[sequenceLength];
                for (int k = 0; k < sequenceLength; k++)
                    frames[k] = k < sampleStart ? slice[0] : k >= sampleEnd ? slice[^1] : slice[k - sampleStart];
                result.Add((e, frames));
            }
        }
        return result;
    }
}
