namespace ImmisciblePolicy.Core.Noise;

/// <summary>Arithmetic used for the sample-to-noise cost; the returned noise is always full precision.</summary>
public enum CostPrecision
{
    /// <summary>Distances of the float32 values, computed in float32.</summary>
    Float32,

    /// <summary>
    /// The reference's "quantised assignment": values multiplied by 0.1 and rounded to float16 (so squares do
    /// not overflow half precision), and the resulting distances rounded to float16 as well. Ties become
    /// likelier; the optimum of the unrounded problem is kept whenever costs differ by more than half
    /// precision. Reference: yhli123/Immiscible-Diffusion, Linear_Assignment-stable_diffusion/
    /// conditional_ft_train_sd.py, training loop ("0.10 * latents.to(torch.float16)").
    /// </summary>
    Float16,
}
