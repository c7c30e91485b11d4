namespace ImmisciblePolicy.Images.Diffusion;

/// <summary>How samples are drawn from a trained image model.</summary>
public enum ImageSamplerKind
{
    /// <summary>Ancestral DDPM sampling (Ho et al. 2020), DDPM objective only.</summary>
    Ddpm,
    /// <summary>DDIM (Song et al. 2021) with eta, DDPM objective only.</summary>
    Ddim,
    /// <summary>Explicit Euler on the flow ODE, flow-matching objective only.</summary>
    FlowEuler,
    /// <summary>Heun (trapezoid) on the flow ODE, flow-matching objective only.</summary>
    FlowHeun,
}
