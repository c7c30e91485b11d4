using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// Vanilla noise while step &lt; WarmupSteps, the inner assigner from then on. Immiscible Diffusion Policy trains
/// the first epochs with independent noise so the denoiser first learns the whole data distribution.
/// </summary>
public sealed class WarmupNoiseAssigner : IConditionalNoiseAssigner
{
    private readonly INoiseAssigner _inner;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="warmupSteps"/> = 0 switches it on from the first step.</summary>
    public WarmupNoiseAssigner(INoiseAssigner inner, long warmupSteps)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (warmupSteps < 0)
            throw new ArgumentException($"warmupSteps must be non-negative; received {warmupSteps}", nameof(warmupSteps));
        _inner = inner;
        WarmupSteps = warmupSteps;
    }

    /// <summary>First step that uses the inner assigner.</summary>
    public long WarmupSteps { get; }

    /// <inheritdoc />
    public string Name => $"{_inner.Name}-warmup{WarmupSteps}";

    /// <inheritdoc />
    public Tensor Assign(Tensor x0, Generator? generator, long step = 0)
    {
        if (step < 0)
            throw new ArgumentException($"step must be non-negative; received {step}", nameof(step));
        if (step >= WarmupSteps) return _inner.Assign(x0, generator, step);
        NoiseArguments.CheckBatch(x0, nameof(x0));
        return VanillaNoise.Draw(x0, generator);
    }

    /// <inheritdoc />
    /// <remarks>Forwards the condition to a conditional inner assigner; vanilla during the warm-up.</remarks>
    public Tensor Assign(Tensor x0, Tensor condition, Generator? generator, long step = 0)
    {
        if (step < 0)
            throw new ArgumentException($"step must be non-negative; received {step}", nameof(step));
        if (step >= WarmupSteps) return NoiseAssignment.Assign(_inner, x0, condition, generator, step);
        NoiseArguments.CheckBatch(x0, nameof(x0));
        return VanillaNoise.Draw(x0, generator);
    }
}
