using Microsoft.ML.OnnxRuntime;

namespace ImmisciblePolicy.Onnx;

/// <summary>How the ONNX engine runs the denoiser (one ONNX Runtime session per loaded policy).</summary>
public sealed record OnnxEngineOptions
{
    /// <summary>
    /// Intra-op threads of the session. 1 by default: at planning batch sizes (1-32 windows of 16 x 2 actions) the
    /// kernels are too small to split well, and on a shared 2-core machine a parked worker costs more than it gives
    /// (the same reason libtorch runs with 1 thread here, docs/design.md "Threads").
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>
    /// Let idle intra-op workers spin for work; false by default so extra threads never burn a shared core.
    /// Irrelevant with one thread.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>ONNX Runtime graph optimisations (constant folding, node fusions, layout changes); all by default.</summary>
    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Execution provider: CPU by default; CUDA needs the GPU package (docs/onnx.md).</summary>
    public OnnxDevice Device { get; init; } = OnnxDevice.Cpu;

    /// <summary>GPU ordinal for <see cref="OnnxDevice.Cuda"/>.</summary>
    public int DeviceId { get; init; }

    /// <summary>
    /// An exported .onnx file to run instead of exporting the checkpoint's weights in memory when a policy is loaded
    /// with the ONNX engine; it must have been exported from the same checkpoint (its config and weights hash are
    /// checked). Null: export in memory at load time (milliseconds for the CPU-sized networks).
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (IntraOpThreads < 1)
            throw new ArgumentException($"{nameof(IntraOpThreads)} must be at least 1; got {IntraOpThreads}", nameof(IntraOpThreads));
        if (DeviceId < 0)
            throw new ArgumentException($"{nameof(DeviceId)} must be non-negative; got {DeviceId}", nameof(DeviceId));
        if (!Enum.IsDefined(Device))
            throw new ArgumentException($"{nameof(Device)} must be Cpu or Cuda; got {Device}", nameof(Device));
        if (ModelPath is not null && string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException($"{nameof(ModelPath)} is blank; leave it null to export in memory", nameof(ModelPath));
    }
}
