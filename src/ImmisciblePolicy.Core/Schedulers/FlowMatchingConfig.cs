namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>Configuration of rectified-flow training and sampling (<see cref="FlowMatching"/>).</summary>
public sealed record FlowMatchingConfig
{
    /// <summary>Training-time distribution of t. Default uniform, the rectified-flow paper's choice (Liu et al. 2023).</summary>
    public FlowTimeSampling TimeSampling { get; init; } = FlowTimeSampling.Uniform;

    /// <summary>Location m of the logit-normal time law. Default 0, as in Stable Diffusion 3 (Esser et al. 2024, "lognorm(0.00, 1.00)").</summary>
    public double LogitNormalMean { get; init; }

    /// <summary>Scale s of the logit-normal time law. Default 1, as in Stable Diffusion 3.</summary>
    public double LogitNormalStd { get; init; } = 1.0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(TimeSampling))
            throw new ArgumentOutOfRangeException(nameof(TimeSampling), TimeSampling, $"unknown {nameof(TimeSampling)} {TimeSampling}");
        if (!double.IsFinite(LogitNormalMean))
            throw new ArgumentOutOfRangeException(nameof(LogitNormalMean), LogitNormalMean,
                $"{nameof(LogitNormalMean)} must be finite; received {LogitNormalMean}");
        if (!(LogitNormalStd > 0 && double.IsFinite(LogitNormalStd)))
            throw new ArgumentOutOfRangeException(nameof(LogitNormalStd), LogitNormalStd,
                $"{nameof(LogitNormalStd)} must be finite and > 0; received {LogitNormalStd}");
    }
}
