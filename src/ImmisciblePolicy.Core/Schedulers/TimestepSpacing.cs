namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// diffusers' timestep_spacing: which training timesteps an N-step sampler visits. The names follow Table 2 of
/// Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed" (arXiv 2305.08891).
/// </summary>
public enum TimestepSpacing
{
    /// <summary>"leading": k * (T / N) for k = N-1..0 (integer ratio), plus steps_offset. diffusers' default.</summary>
    Leading,

    /// <summary>"trailing": round(T - k * T / N) - 1 for k = 0..N-1; always starts at T-1.</summary>
    Trailing,

    /// <summary>"linspace": round(linspace(0, T-1, N)), descending; starts at T-1 and ends at 0.</summary>
    Linspace,
}
