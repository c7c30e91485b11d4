namespace ImmisciblePolicy.Images.Diffusion;

/// <summary>What the image network is trained to predict.</summary>
public enum DiffusionObjective
{
    /// <summary>DDPM (Ho et al. 2020): epsilon prediction under the discrete schedule; sampled with DDPM or DDIM.</summary>
    Ddpm,

    /// <summary>Rectified flow / flow matching: velocity eps - x0 on the straight path; sampled with Euler or Heun.</summary>
    FlowMatching,
}
