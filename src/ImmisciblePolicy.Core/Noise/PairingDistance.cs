namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// Mean sample-to-noise L2 distance of one batch under a vanilla pairing and under an assigner's pairing, both
/// drawn from the same generator state.
/// </summary>
/// <param name="Vanilla">mean over b of ||x0_b - n_b|| with independent noise.</param>
/// <param name="Assigned">the same mean with the assigner's noise.</param>
public sealed record PairingDistance(double Vanilla, double Assigned)
{
    /// <summary>1 - Assigned / Vanilla: the fraction by which assignment shortens the average pair (papers: ~1-2.5%
    /// on images).</summary>
    public double RelativeReduction => 1.0 - Assigned / Vanilla;
}
