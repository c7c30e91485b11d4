namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Diffusion Policy's SequenceSampler (real-stanford/diffusion_policy diffusion_policy/common/sampler.py,
/// create_indices and SequenceSampler.sample_sequence) with sequence_length = Tp, pad_before = To - 1 and
/// pad_after = Ta - 1, as the Push-T dataset configures it. Every episode of length L yields the windows
/// starting at s = -pad_before .. L - Tp + pad_after (L - Tp + pad_before + pad_after + 1 of them, none
/// when that is not positive); frames before 0 repeat frame 0 and frames after L - 1 repeat frame L - 1.
/// A sample is the first To observations of the window (state and, for every image feature of the dataset, the
/// camera frames of the same padded frame indices, as diffusion_policy's sampler pads every key alike) and all Tp
/// actions. Windows are enumerated in episode order, then start order.
/// </summary>
public sealed class SequenceSampler
{
    private readonly DemonstrationDataset dataset;
    private readonly (int Episode, int Start)[] windows;

    public SequenceSampler(DemonstrationDataset dataset, SequenceHorizons horizons)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(horizons);
        horizons.Validate();
        this.dataset = dataset;
        Horizons = horizons;
        int tp = horizons.PredictionHorizon;
        // create_indices clamps both paddings to sequence_length - 1.
        PadBefore = Math.Min(horizons.ObservationSteps - 1, tp - 1);
        PadAfter = Math.Min(horizons.ActionSteps - 1, tp - 1);
        var list = new List<(int, int)>();
        for (int e = 0; e < dataset.Episodes.Count; e++)
        {
            int length = dataset.Episodes[e].Length;
            for (int start = -PadBefore; start <= length - tp + PadAfter; start++)
                list.Add((e, start));
        }
        windows = [.. list];
    }

    public SequenceHorizons Horizons { get; }

    public int PadBefore { get; }

    public int PadAfter { get; }

    /// <summary>Number of windows over all episodes.</summary>
    public int Count => windows.Length;

    public int StateDim => dataset.StateDim;

    public int ActionDim => dataset.ActionDim;

    /// <summary>(episode, start frame) of window i; start may be negative (padded).</summary>
    public (int Episode, int Start) Window(int i)
    {
        if ((uint)i >= (uint)windows.Length)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"expected a window index in [0, {windows.Length})");
        return windows[i];
    }

    /// <summary>Window i: observations (To, n) and actions (Tp, m), row-major.</summary>
    public SequenceBatch Sample(int i) => Batch([i]);

    /// <summary>Stacks the given windows: observations (B, To, n) and actions (B, Tp, m), row-major.</summary>
    public SequenceBatch Batch(ReadOnlySpan<int> indices)
    {
        if (indices.Length == 0)
            throw new ArgumentException("expected at least one window index, received 0", nameof(indices));
        int to = Horizons.ObservationSteps, tp = Horizons.PredictionHorizon, n = StateDim, m = ActionDim;
        var observations = new float[indices.Length * to * n];
        var actions = new float[indices.Length * tp * m];
        var cameras = dataset.ImageFeatures;
        int count = indices.Length;
        var images = cameras.Select(f => new byte[(long)count * to * f.FrameBytes]).ToArray();
        for (int b = 0; b < indices.Length; b++)
        {
            var (e, start) = Window(indices[b]);
            Episode episode = dataset.Episodes[e];
            for (int k = 0; k < tp; k++)
            {
                // Edge padding: clamping the frame index repeats the first/last frame, as sample_sequence does.
                int frame = Math.Clamp(start + k, 0, episode.Length - 1);
                episode.Action(frame).CopyTo(actions.AsSpan((b * tp + k) * m, m));
                if (k < to)
                {
                    episode.State(frame).CopyTo(observations.AsSpan((b * to + k) * n, n));
                    for (int c = 0; c < cameras.Count; c++)
                    {
                        int size = cameras[c].FrameBytes;
                        episode.Images[cameras[c].Name].CopyFrame(frame, images[c].AsSpan(((b * to) + k) * size, size));
                    }
                }
            }
        }
        return new SequenceBatch(indices.Length, to, n, tp, m, observations, actions, images);
    }

    /// <summary>A permutation of all window indices (one training epoch), drawn from <paramref name="random"/>.</summary>
    public int[] Shuffle(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int[] order = [.. Enumerable.Range(0, windows.Length)];
        random.Shuffle(order);
        return order;
    }

    /// <summary><paramref name="batchSize"/> distinct windows drawn uniformly from <paramref name="random"/>.</summary>
    public SequenceBatch SampleBatch(int batchSize, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (batchSize < 1 || batchSize > windows.Length)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"expected a batch size in [1, {windows.Length}]");
        return Batch(Shuffle(random).AsSpan(0, batchSize));
    }
}
