namespace ImmisciblePolicy.Core.Training;

/// <summary>
/// Warm-up EMA settings of diffusion_policy's EMAModel (real-stanford/diffusion_policy,
/// model/diffusion/ema_model.py; @crowsonkb's EMA warm-up). Defaults are the diffusion_policy training
/// configs' values (ema: power 0.75), not the class defaults (power 2/3).
/// </summary>
public sealed record EmaConfig
{
    /// <summary>Optimisation steps before averaging starts (decay stays 0, i.e. a plain copy). 0 as in the configs.</summary>
    public long UpdateAfterStep { get; init; }

    /// <summary>Inverse multiplicative factor gamma^-1 of the warm-up. 1 as in the configs.</summary>
    public double InvGamma { get; init; } = 1.0;

    /// <summary>Warm-up exponent: 0.75 reaches decay 0.999 at about 10k steps (2/3 would need 31.6k).</summary>
    public double Power { get; init; } = 0.75;

    /// <summary>Lower bound of the decay. 0 as in the reference.</summary>
    public double MinValue { get; init; }

    /// <summary>Upper bound of the decay. 0.9999 as in the reference.</summary>
    public double MaxValue { get; init; } = 0.9999;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (UpdateAfterStep < 0)
            throw new ArgumentException($"{nameof(UpdateAfterStep)} must be non-negative; got {UpdateAfterStep}", nameof(UpdateAfterStep));
        if (!(InvGamma > 0) || double.IsInfinity(InvGamma))
            throw new ArgumentException($"{nameof(InvGamma)} must be positive and finite; got {InvGamma}", nameof(InvGamma));
        if (!(Power > 0) || double.IsInfinity(Power))
            throw new ArgumentException($"{nameof(Power)} must be positive and finite; got {Power}", nameof(Power));
        if (!(MinValue >= 0 && MinValue <= MaxValue && MaxValue < 1))
            throw new ArgumentException(
                $"need 0 <= {nameof(MinValue)} <= {nameof(MaxValue)} < 1; got {MinValue} and {MaxValue}", nameof(MaxValue));
    }
}
