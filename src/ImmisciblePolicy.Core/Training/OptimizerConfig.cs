using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Training;

/// <summary>
/// AdamW and learning-rate schedule of diffusion_policy's training configs (e.g.
/// train_diffusion_unet_lowdim_workspace.yaml: optimizer AdamW, lr_scheduler cosine, lr_warmup_steps 500).
/// </summary>
/// <remarks>
/// TorchSharp 0.107 signature: torch.optim.AdamW(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad,
/// maximize); betas are two scalars, not a tuple. Weight decay is decoupled (p -= lr * wd * p), as in PyTorch.
/// </remarks>
public sealed record OptimizerConfig
{
    /// <summary>Peak learning rate, 1e-4 as published.</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>First-moment decay; 0.95 as published (PyTorch default 0.9), a slower-moving momentum.</summary>
    public double Beta1 { get; init; } = 0.95;

    /// <summary>Second-moment decay; 0.999 as published.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Denominator epsilon; 1e-8 as published (PyTorch's default).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay; 1e-6 as published (a token amount: the U-Net is not regularised by it).</summary>
    public double WeightDecay { get; init; } = 1e-6;

    /// <summary>Linear warm-up steps of the cosine schedule; 500 as published.</summary>
    public long WarmupSteps { get; init; } = 500;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"{nameof(LearningRate)} must be positive and finite; got {LearningRate}", nameof(LearningRate));
        if (!(Beta1 >= 0 && Beta1 < 1))
            throw new ArgumentException($"{nameof(Beta1)} must be in [0, 1); got {Beta1}", nameof(Beta1));
        if (!(Beta2 >= 0 && Beta2 < 1))
            throw new ArgumentException($"{nameof(Beta2)} must be in [0, 1); got {Beta2}", nameof(Beta2));
        if (!(Eps > 0))
            throw new ArgumentException($"{nameof(Eps)} must be positive; got {Eps}", nameof(Eps));
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            throw new ArgumentException($"{nameof(WeightDecay)} must be non-negative and finite; got {WeightDecay}", nameof(WeightDecay));
        if (WarmupSteps < 0)
            throw new ArgumentException($"{nameof(WarmupSteps)} must be non-negative; got {WarmupSteps}", nameof(WarmupSteps));
    }

    /// <summary>AdamW over <paramref name="parameters"/> with these settings (our <see cref="Training.AdamW"/>:
    /// TorchSharp's update and state format with Scalars that stay alive during native calls).</summary>
    public AdamW CreateAdamW(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Validate();
        return new AdamW(parameters, LearningRate, Beta1, Beta2, Eps, WeightDecay);
    }

    /// <summary>The warm-up cosine schedule for a run of <paramref name="totalSteps"/> optimiser steps.</summary>
    public CosineWarmupSchedule CreateSchedule(long totalSteps)
    {
        Validate();
        return new CosineWarmupSchedule(LearningRate, WarmupSteps, totalSteps);
    }
}
