namespace ImmisciblePolicy.Core.Noise;

/// <summary>The sample-to-noise distance whose sum the linear assignment minimises.</summary>
/// <remarks>
/// For KNN selection the choice is immaterial: x -> x^2 is monotone on distances, so the nearest candidate
/// is the same. For the batch assignment it matters: the summed unsquared distance and the summed squared
/// distance have different optima in general.
/// </remarks>
public enum NoiseDistance
{
    /// <summary>Euclidean distance ||x - e||, as in the reference implementation (torch.linalg.vector_norm).</summary>
    L2,

    /// <summary>Squared Euclidean distance ||x - e||^2 (the transport cost of minibatch OT flow matching).</summary>
    SquaredL2,
}
