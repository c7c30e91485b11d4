namespace ImmisciblePolicy.Onnx;

/// <summary>Where ONNX Runtime executes the denoiser.</summary>
public enum OnnxDevice
{
    /// <summary>ONNX Runtime's CPU execution provider (MLAS kernels); in the default Microsoft.ML.OnnxRuntime package.</summary>
    Cpu,

    /// <summary>
    /// The CUDA execution provider. Needs the GPU build of ONNX Runtime (Microsoft.ML.OnnxRuntime.Gpu.Linux instead of
    /// Microsoft.ML.OnnxRuntime, see docs/onnx.md), CUDA and cuDNN; untested on the project's CPU-only machines.
    /// </summary>
    Cuda,
}
