namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>How flow-matching training draws the time t in (0, 1) for each sample.</summary>
public enum FlowTimeSampling
{
    /// <summary>t ~ U[0, 1) (Lipman et al. 2023; Liu et al. 2023, rectified flow).</summary>
    Uniform,

    /// <summary>
    /// t = sigmoid(m + s n), n ~ N(0, 1): concentrates training on intermediate t (Esser et al. 2024, Stable
    /// Diffusion 3, section 3.1 "logit-normal sampling").
    /// </summary>
    LogitNormal,
}
