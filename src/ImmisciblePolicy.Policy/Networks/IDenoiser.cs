using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// The denoiser epsilon_theta(a_t, t, obs) seen by the sampling loop: one forward pass of the Diffusion Policy
/// U-Net. The loop (initial noise, scheduler steps, seeds) stays in <see cref="DiffusionPolicy"/>; only this
/// call changes engine: <see cref="ConditionalUnet1D"/> runs it in TorchSharp, the ONNX engine
/// (ImmisciblePolicy.Onnx) in ONNX Runtime. Implementations are safe to call from several threads at once.
/// </summary>
public interface IDenoiser : IDisposable
{
    /// <summary>The architecture: shapes of the inputs and outputs.</summary>
    UnetConfig Config { get; }

    /// <summary>Which engine runs the forward pass.</summary>
    PolicyEngine Engine { get; }

    /// <summary>Total number of parameters.</summary>
    long ParameterCount { get; }

    /// <summary>One denoiser forward pass; the result lives in the caller's dispose scope.</summary>
    /// <param name="sample">noisy action chunk (B, T, Da) float32; T a multiple of 2^(levels-1).</param>
    /// <param name="timesteps">diffusion steps, int64: (B), (1) or a scalar broadcast to B.</param>
    /// <param name="globalCond">flattened observation window (B, GlobalCondDim) float32.</param>
    /// <returns>model output (B, T, Da) float32 (noise, sample or v, per the scheduler's prediction type).</returns>
#pragma warning disable IDE1006 // TorchSharp's name for a module's forward pass, which ConditionalUnet1D implements as is
    Tensor forward(Tensor sample, Tensor timesteps, Tensor globalCond);
#pragma warning restore IDE1006
}
