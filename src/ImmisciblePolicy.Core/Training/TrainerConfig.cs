namespace ImmisciblePolicy.Core.Training;

/// <summary>Settings of a training run shared by the policy and image trainers.</summary>
public sealed record TrainerConfig
{
    /// <summary>Optimiser steps of the whole run. Sized so the default CPU run takes minutes, not GPU-hours.</summary>
    public long Steps { get; init; } = 2000;

    /// <summary>Samples per step. Diffusion Policy uses 256 on a GPU; 64 keeps a 2-core step fast.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of everything random in the run: initial weights, batches, noise, timesteps.</summary>
    public long Seed { get; init; }

    /// <summary>AdamW and its cosine warm-up schedule (Diffusion Policy's published values).</summary>
    public OptimizerConfig Optimizer { get; init; } = new();

    /// <summary>Exponential moving average of the weights (Diffusion Policy's EMAModel settings).</summary>
    public EmaConfig Ema { get; init; } = new();

    /// <summary>Write a checkpoint every this many steps (and at the end); 0 = only at the end.</summary>
    public long CheckpointEvery { get; init; } = 500;

    /// <summary>Report progress every this many steps.</summary>
    public long LogEvery { get; init; } = 25;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"{nameof(Steps)} must be at least 1; got {Steps}", nameof(Steps));
        if (BatchSize < 1) throw new ArgumentException($"{nameof(BatchSize)} must be at least 1; got {BatchSize}", nameof(BatchSize));
        if (CheckpointEvery < 0) throw new ArgumentException($"{nameof(CheckpointEvery)} must be >= 0; got {CheckpointEvery}", nameof(CheckpointEvery));
        if (LogEvery < 1) throw new ArgumentException($"{nameof(LogEvery)} must be at least 1; got {LogEvery}", nameof(LogEvery));
        Optimizer.Validate();
        Ema.Validate();
    }

    /// <summary>
    /// The seed of step <paramref name="step"/>'s random draws (batch, timesteps, noise). Deriving it from
    /// (run seed, step) rather than carrying one generator through the run makes a resumed run draw exactly
    /// what the uninterrupted one would have (SplitMix64 finaliser, a bijective mix of the pair).
    /// </summary>
    public static long StepSeed(long seed, long step)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)step + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) & 0x7FFF_FFFF_FFFF_FFFFUL);
    }
}
