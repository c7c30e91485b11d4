using TorchSharp;

namespace ImmisciblePolicy.Core.Training;

/// <summary>
/// Linear warm-up then half-cosine decay to 0, diffusers' get_cosine_schedule_with_warmup
/// (huggingface/diffusers, src/diffusers/optimization.py), which diffusion_policy uses through
/// model/common/lr_scheduler.py get_scheduler("cosine"). The learning rate at optimiser step s is
/// base_lr * multiplier(s), with step 0 being the first update (LambdaLR starts at multiplier(0) = 0).
/// </summary>
public sealed class CosineWarmupSchedule
{
    /// <param name="baseLearningRate">peak learning rate reached at the end of the warm-up.</param>
    /// <param name="warmupSteps">steps of linear warm-up from 0.</param>
    /// <param name="totalSteps">total optimiser steps; the cosine reaches 0 here.</param>
    /// <param name="numCycles">cosine cycles over the decay phase; 0.5 = one half-wave from 1 to 0.</param>
    public CosineWarmupSchedule(double baseLearningRate, long warmupSteps, long totalSteps, double numCycles = 0.5)
    {
        if (!(baseLearningRate > 0) || double.IsInfinity(baseLearningRate))
            throw new ArgumentOutOfRangeException(nameof(baseLearningRate), baseLearningRate, "must be positive and finite");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "must be at least 1");
        if (!(numCycles > 0) || double.IsInfinity(numCycles))
            throw new ArgumentOutOfRangeException(nameof(numCycles), numCycles, "must be positive and finite");
        BaseLearningRate = baseLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        NumCycles = numCycles;
    }

    /// <summary>Peak learning rate.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Linear warm-up length in optimiser steps.</summary>
    public long WarmupSteps { get; }

    /// <summary>Total optimiser steps of the run.</summary>
    public long TotalSteps { get; }

    /// <summary>Cosine cycles in the decay phase (0.5 in diffusers and diffusion_policy).</summary>
    public double NumCycles { get; }

    /// <summary>
    /// diffusers' lr_lambda: s / max(1, W) while s &lt; W; afterwards, with
    /// p = (s - W) / max(1, N - W), max(0, 0.5 (1 + cos(pi * numCycles * 2 p))). As in diffusers, steps past
    /// <paramref name="totalSteps"/> are not clamped (with 0.5 cycles the curve would rise again).
    /// </summary>
    public static double Multiplier(long step, long warmupSteps, long totalSteps, double numCycles = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < warmupSteps)
            return (double)step / Math.Max(1, warmupSteps);
        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * numCycles * 2.0 * progress)));
    }

    /// <summary>Learning rate for optimiser step <paramref name="step"/> (0-based).</summary>
    public double LearningRate(long step) => BaseLearningRate * Multiplier(step, WarmupSteps, TotalSteps, NumCycles);

    /// <summary>Sets every parameter group of <paramref name="optimizer"/> to the rate for <paramref name="step"/>;
    /// call before optimizer.step() of that step.</summary>
    public double Apply(torch.optim.Optimizer optimizer, long step)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        double lr = LearningRate(step);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        return lr;
    }
}
