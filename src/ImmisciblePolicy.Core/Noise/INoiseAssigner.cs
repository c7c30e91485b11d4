using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// Pairs a clean batch with its diffusion noise (Immiscible Diffusion, Li et al. 2024/2025). Vanilla draws
/// independent N(0, I); immiscible variants pick noise near each sample. Only this pairing changes: loss,
/// model and sampling from N(0, I) stay as they are.
/// </summary>
/// <remarks>
/// Implementations are pure: the result depends only on <paramref name="x0"/>, the generator state and the
/// step, and they hold no per-call state, so one instance may serve concurrent trainers.
/// </remarks>
public interface INoiseAssigner
{
    /// <summary>Short name used in logs, tables and checkpoints (e.g. "vanilla", "knn-k2", "assign-l2").</summary>
    string Name { get; }

    /// <summary>
    /// Returns noise shaped like <paramref name="x0"/>, row b paired with sample b.
    /// </summary>
    /// <param name="x0">clean batch (B, ...): data, or a latent from an encoder ("any layer"); float32.</param>
    /// <param name="generator">source of every random draw; null uses torch's default generator.</param>
    /// <param name="step">training step, for warm-up schedules (vanilla before the switch-on step).</param>
    Tensor Assign(Tensor x0, Generator? generator, long step = 0);
}
