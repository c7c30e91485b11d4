namespace ImmisciblePolicy.Study;

/// <summary>
/// What one cell of a task trains and how it is scored. Identical for every method and seed of a task in a
/// preset, which is what makes the cells matched. Fields a task does not use are ignored.
/// </summary>
public sealed record TaskBudget
{
    /// <summary>Optimiser steps of the run (the cosine schedule spans exactly these).</summary>
    public long Steps { get; init; } = 2000;

    /// <summary>Score (and checkpoint) every this many steps; these points make the curves.</summary>
    public long EvalEvery { get; init; } = 500;

    /// <summary>Samples per training step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Peak learning rate of AdamW.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Linear warm-up steps of the cosine schedule.</summary>
    public long WarmupSteps { get; init; } = 100;

    /// <summary>U-Net widths per level (policy: ConditionalUnet1D down_dims; pixel images: UNet2D channels; latent: ignored, one 64-wide level).</summary>
    public IReadOnlyList<int> Widths { get; init; } = [32, 64, 128];

    /// <summary>Diffusion-step embedding of the policy U-Net.</summary>
    public int StepEmbedDim { get; init; } = 32;

    /// <summary>Scripted expert demonstrations (seeds 0 ..), policy tasks.</summary>
    public int DemoEpisodes { get; init; } = 200;

    /// <summary>Closed-loop test episodes per evaluation (seeds 100000 .., Diffusion Policy's test seeds).</summary>
    public int EvalEpisodes { get; init; } = 50;

    /// <summary>
    /// Policy tasks: the demonstrations' mode mix (<see cref="Robotics.DemonstrationOptions.ModeMix"/>: Push-T's clockwise
    /// share, the bimodal task's left share). Null: Push-T's unimodal expert, the bimodal task's alternating sides.
    /// </summary>
    public double? ModeMix { get; init; }

    /// <summary>Images generated (and in-painted) per evaluation, image tasks.</summary>
    public int EvalSamples { get; init; } = 500;

    /// <summary>Deterministic sampler steps (flow Euler) for evaluation and the bijective check.</summary>
    public int SampleSteps { get; init; } = 20;

    /// <summary>Autoencoder training steps, latent task.</summary>
    public int AutoencoderSteps { get; init; } = 400;

    /// <summary>Training images used (the first N of the train split); 0 = all 60 000.</summary>
    public int TrainImages { get; init; }

    /// <summary>Epochs of the shared metric classifier (trained once per study folder, on the full train split).</summary>
    public int ClassifierEpochs { get; init; } = 4;

    /// <summary>Fixed starting noises of the bijective check.</summary>
    public int BijectiveItems { get; init; } = 32;

    /// <summary>Assignments per sample averaged into a noise-cluster centre (miscibility measure).</summary>
    public int MiscibilityRepeats { get; init; } = 16;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"{nameof(Steps)} must be at least 1; received {Steps}", nameof(Steps));
        if (EvalEvery < 1 || EvalEvery > Steps) throw new ArgumentException($"{nameof(EvalEvery)} must be in [1, {Steps}]; received {EvalEvery}", nameof(EvalEvery));
        if (BatchSize < 2) throw new ArgumentException($"{nameof(BatchSize)} must be at least 2; received {BatchSize}", nameof(BatchSize));
        if (!(LearningRate > 0)) throw new ArgumentException($"{nameof(LearningRate)} must be positive; received {LearningRate}", nameof(LearningRate));
        if (Widths.Count == 0 || Widths.Any(w => w < 8)) throw new ArgumentException($"{nameof(Widths)} must be non-empty widths >= 8; received [{string.Join(", ", Widths)}]", nameof(Widths));
        if (ModeMix is double mix && !(mix >= 0 && mix <= 1))
            throw new ArgumentException($"{nameof(ModeMix)} must be in [0, 1]; received {mix}", nameof(ModeMix));
        if (DemoEpisodes < 1 || EvalEpisodes < 1) throw new ArgumentException("DemoEpisodes and EvalEpisodes must be at least 1");
        if (EvalSamples < 2) throw new ArgumentException($"{nameof(EvalSamples)} must be at least 2; received {EvalSamples}", nameof(EvalSamples));
        if (SampleSteps < 1 || BijectiveItems < 2 || MiscibilityRepeats < 1 || ClassifierEpochs < 1 || AutoencoderSteps < 1 || TrainImages < 0)
            throw new ArgumentException("SampleSteps, ClassifierEpochs, AutoencoderSteps and MiscibilityRepeats must be >= 1, BijectiveItems >= 2, TrainImages >= 0");
    }

    /// <summary>The steps at which a cell is scored: every <see cref="EvalEvery"/> and the last step.</summary>
    public IReadOnlyList<long> EvalSteps()
    {
        var steps = new List<long>();
        for (long s = EvalEvery; s < Steps; s += EvalEvery) steps.Add(s);
        steps.Add(Steps);
        return steps;
    }
}
