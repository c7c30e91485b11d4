namespace ImmisciblePolicy.Core.Noise;

/// <summary>How a clean batch is paired with its diffusion noise.</summary>
public enum NoiseAssignmentMethod
{
    /// <summary>Independent N(0, I) per sample: plain diffusion training.</summary>
    Vanilla,

    /// <summary>
    /// Batch-level optimal matching of B samples to B noises minimising the summed distance
    /// (Immiscible Diffusion, Li et al. 2024). Couples the batch; O(B^3).
    /// </summary>
    LinearAssignment,

    /// <summary>
    /// Per-sample selection of the nearest of K Gaussian candidates (Improved Immiscible Diffusion,
    /// Li et al. 2025). No coupling across the batch; works at any batch size.
    /// </summary>
    Knn,

    /// <summary>
    /// Linear assignment whose cost also charges for moving a noise between samples with different conditions
    /// (observations): sample b taking noise j costs d(x0_b, e_j) + lambda d(c_b, c_j), where noise j was drawn
    /// for sample j. Tests whether batch-wide pairing hurts conditional models because noise then encodes the
    /// target regardless of the condition (see <see cref="ObservationAwareAssignmentNoise"/>).
    /// </summary>
    ObservationAwareAssignment,
}
