namespace ImmisciblePolicy.Policy;

/// <summary>Which runtime executes the denoiser's forward pass while planning.</summary>
public enum PolicyEngine
{
    /// <summary>TorchSharp (LibTorch): the network as trained; the only engine that trains.</summary>
    Torch,

    /// <summary>
    /// ONNX Runtime over the denoiser exported to ONNX (ImmisciblePolicy.Onnx). Sampling loop, schedulers, seeds
    /// and normalisers are the same as with <see cref="Torch"/>; only the forward pass runs elsewhere.
    /// </summary>
    Onnx,
}
