namespace ImmisciblePolicy.Images.Diffusion;

/// <summary>How to draw samples from a trained model.</summary>
public sealed record SamplingOptions
{
    /// <summary>Sampler; null picks DDIM for the DDPM objective and Euler for flow matching.</summary>
    public ImageSamplerKind? Kind { get; init; }

    /// <summary>Network evaluations per sample (Heun uses two per step). Default 50, DDIM's usual CIFAR budget.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>DDIM's eta: 0 deterministic (default, Song et al. 2021), 1 = DDPM-like noise.</summary>
    public double Eta { get; init; }

    /// <summary>
    /// Classifier-free guidance w in u + w (c - u): 1 = plain conditional, 0 = unconditional. Default 2, a common
    /// value for small class-conditional models (Ho and Salimans 2022 sweep 0.1-4 in their (1 + w) form).
    /// </summary>
    public double GuidanceScale { get; init; } = 2.0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (Kind is { } k && !Enum.IsDefined(k)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown sampler");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"{nameof(Steps)} must be at least 1; received {Steps}");
        if (!(Eta >= 0 && Eta <= 1)) throw new ArgumentOutOfRangeException(nameof(Eta), Eta, $"{nameof(Eta)} must be in [0, 1]; received {Eta}");
        if (!double.IsFinite(GuidanceScale) || GuidanceScale < 0)
            throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, $"{nameof(GuidanceScale)} must be finite and >= 0; received {GuidanceScale}");
    }
}
