namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// Everything that decides how noise is paired with data during training; it travels inside checkpoints so
/// a run is self-describing. Build the assigner with <see cref="NoiseAssigners.Create"/>.
/// </summary>
public sealed record NoiseAssignmentConfig
{
    /// <summary>Pairing method. Default Vanilla: plain diffusion, so nothing changes unless asked for.</summary>
    public NoiseAssignmentMethod Method { get; init; } = NoiseAssignmentMethod.Vanilla;

    /// <summary>
    /// KNN candidates per sample. Default 2, the value of the Push-T Diffusion Policy runs (Improved
    /// Immiscible Diffusion); image models use more (8 was best for DDIM CIFAR-10, 64 for Stable Diffusion).
    /// </summary>
    public int K { get; init; } = 2;

    /// <summary>Assignment cost. Default L2 (unsquared), the reference implementation's torch.linalg.vector_norm.</summary>
    public NoiseDistance Distance { get; init; } = NoiseDistance.L2;

    /// <summary>
    /// Cost arithmetic. Default Float32: on CPU half precision saves no time and costs accuracy; the reference
    /// used Float16 on GPU to save memory, and a later codebase found fp32 scoring better on large latents.
    /// </summary>
    public CostPrecision CostPrecision { get; init; } = CostPrecision.Float32;

    /// <summary>
    /// Standardise every coordinate of x0 over the batch (zero mean, unit variance) before measuring distances;
    /// the data handed to the model is untouched. Default false (the papers measure raw data); the robot-policy
    /// variant (Immiscible Diffusion Policy) turns it on so that a coordinate with a large range does not
    /// decide the assignment alone. Coordinates with batch std below 1e-4 are only centred; with B = 1 the
    /// standardised sample is all zeros, so KNN then keeps the candidate of smallest norm.
    /// </summary>
    public bool StandardizeForCost { get; init; }

    /// <summary>
    /// Score candidates on copies of (B, C, H, W) data and noise average-pooled to PoolTo x PoolTo. Default null
    /// (score on the full tensor); helps on very high-dimensional latents, where most coordinates only add
    /// candidate-independent noise to the distance.
    /// </summary>
    public int? PoolTo { get; init; }

    /// <summary>
    /// Vanilla noise for training steps below this, the chosen method from it on. Default 0 (no warm-up);
    /// Immiscible Diffusion Policy switches assignment on after a vanilla warm-up.
    /// </summary>
    public long WarmupSteps { get; init; }

    /// <summary>
    /// lambda of <see cref="NoiseAssignmentMethod.ObservationAwareAssignment"/>: the weight of the condition
    /// distance (per-coordinate standardised, root-mean-square over coordinates, so about 1.4 between two
    /// unrelated samples) added to the sample-to-noise distance. 0 is plain linear assignment; large values forbid
    /// exchanging noise between samples whose conditions differ, which tends to vanilla pairing. Default 1: several
    /// times the per-sample gain of plain assignment in the policy's action space (about 0.2-0.4 in L2), so noise
    /// moves mostly between samples with close observations.
    /// </summary>
    public double ConditionWeight { get; init; } = 1.0;

    /// <summary>
    /// Data scaling s: train on s * x0 and divide samples by s (see <see cref="DataScaling"/>). Default 1 (off);
    /// the paper compared pixel std 0.5 / 1.0 / 2.0 and found larger scales trained faster.
    /// </summary>
    public double DataScale { get; init; } = 1.0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field, its expectation and its value.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Method))
            throw new ArgumentException($"Method must be one of {string.Join(", ", Enum.GetNames<NoiseAssignmentMethod>())}; received {(int)Method}", nameof(Method));
        if (!Enum.IsDefined(Distance))
            throw new ArgumentException($"Distance must be one of {string.Join(", ", Enum.GetNames<NoiseDistance>())}; received {(int)Distance}", nameof(Distance));
        if (!Enum.IsDefined(CostPrecision))
            throw new ArgumentException($"CostPrecision must be one of {string.Join(", ", Enum.GetNames<CostPrecision>())}; received {(int)CostPrecision}", nameof(CostPrecision));
        if (K < 1)
            throw new ArgumentException($"K (candidates per sample) must be at least 1; received {K}", nameof(K));
        if (PoolTo is < 1)
            throw new ArgumentException($"PoolTo must be null or at least 1; received {PoolTo}", nameof(PoolTo));
        if (!double.IsFinite(ConditionWeight) || ConditionWeight < 0)
            throw new ArgumentException($"ConditionWeight must be finite and non-negative; received {ConditionWeight}", nameof(ConditionWeight));
        if (WarmupSteps < 0)
            throw new ArgumentException($"WarmupSteps must be non-negative; received {WarmupSteps}", nameof(WarmupSteps));
        DataScaling.CheckScale(DataScale, nameof(DataScale));
    }
}
