namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>diffusers' variance_type: the variance of the noise DDPM adds in each reverse step.</summary>
public enum VarianceType
{
    /// <summary>
    /// "fixed_small": the posterior variance beta~_t = (1 - abar_prev) / (1 - abar_t) * beta_t, clamped at 1e-20
    /// (DDPM eq. 7); the lower bound of Ho et al. and Diffusion Policy's choice.
    /// </summary>
    FixedSmall,

    /// <summary>"fixed_large": sigma_t^2 = beta_t, the upper bound of Ho et al.</summary>
    FixedLarge,
}
