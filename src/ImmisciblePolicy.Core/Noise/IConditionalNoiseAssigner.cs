using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// A noise pairing that also looks at each sample's condition (for a policy: its observation window), so that
/// the pairing can depend on which samples share a condition. Conditional trainers call
/// <see cref="NoiseAssignment.Assign"/>, which passes the condition to assigners of this kind and leaves the
/// others unchanged.
/// </summary>
public interface IConditionalNoiseAssigner : INoiseAssigner
{
    /// <summary>Returns noise shaped like <paramref name="x0"/>, row b paired with sample b.</summary>
    /// <param name="x0">clean batch (B, ...).</param>
    /// <param name="condition">the samples' conditions (B, ...), e.g. the flattened normalised observation window.</param>
    /// <param name="generator">source of every random draw.</param>
    /// <param name="step">training step (warm-up schedules).</param>
    Tensor Assign(Tensor x0, Tensor condition, Generator? generator, long step = 0);
}

/// <summary>Entry point for conditional trainers: one call whatever the assigner's kind.</summary>
public static class NoiseAssignment
{
    /// <summary>
    /// The assigner's noise for <paramref name="x0"/>; <paramref name="condition"/> reaches it only when it is an
    /// <see cref="IConditionalNoiseAssigner"/> (the other assigners ignore conditions by design). Without a
    /// condition every assigner gets the unconditional call (a condition-only assigner then says it needs one).
    /// </summary>
    public static Tensor Assign(INoiseAssigner assigner, Tensor x0, Tensor? condition, Generator? generator, long step = 0)
    {
        ArgumentNullException.ThrowIfNull(assigner);
        return assigner is IConditionalNoiseAssigner conditional && condition is not null
            ? conditional.Assign(x0, condition, generator, step)
            : assigner.Assign(x0, generator, step);
    }
}
