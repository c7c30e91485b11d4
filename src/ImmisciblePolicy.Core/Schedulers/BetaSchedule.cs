namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>diffusers' beta_schedule: how the per-step noise variances beta_t are laid out over 0..T-1.</summary>
public enum BetaSchedule
{
    /// <summary>"linear": beta_t evenly spaced from beta_start to beta_end (Ho et al. 2020).</summary>
    Linear,

    /// <summary>"scaled_linear": sqrt(beta_t) evenly spaced, then squared (latent diffusion / Stable Diffusion).</summary>
    ScaledLinear,

    /// <summary>
    /// "squaredcos_cap_v2": the cosine schedule of Nichol and Dhariwal 2021 (GLIDE),
    /// abar(u) = cos^2(((u + 0.008) / 1.008) pi / 2), beta_i = min(1 - abar((i+1)/T) / abar(i/T), 0.999).
    /// Diffusion Policy's choice.
    /// </summary>
    SquaredCosCapV2,
}
