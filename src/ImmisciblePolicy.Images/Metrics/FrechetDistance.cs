using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Metrics;

/// <summary>Mean and covariance of a feature set, in float64.</summary>
/// <param name="Mean">(D) float64.</param>
/// <param name="Covariance">(D, D) float64, unbiased (divides by N - 1, as numpy.cov).</param>
/// <param name="Count">number of feature vectors N.</param>
public sealed record FeatureStatistics(Tensor Mean, Tensor Covariance, long Count)
{
    /// <summary>Statistics of features (N, D), N >= 2; the tensors live in the caller's dispose scope.</summary>
    public static FeatureStatistics Of(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.dim() != 2 || features.shape[0] < 2)
            throw new ArgumentException($"features must be (N >= 2, D); received [{string.Join(", ", features.shape)}]", nameof(features));
        var f = features.detach().to_type(ScalarType.Float64); // (N, D)
        var mean = f.mean([0]); // (D)
        var centred = f.sub(mean); // (N, D)
        var cov = centred.T.mm(centred).div(f.shape[0] - 1); // (D, D)
        return new FeatureStatistics(mean, cov, f.shape[0]);
    }
}

/// <summary>
/// The Fréchet distance between Gaussians fitted to two feature sets (Dowson and Landau 1982; used as FID by Heusel
/// et al. 2017): d^2 = |mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1 C2)^{1/2}).
/// </summary>
/// <remarks>
/// Here the features come from the penultimate layer of a small CNN trained on this dataset
/// (<see cref="FeatureClassifier"/>), so the number is a Fréchet distance for this dataset, NOT Inception FID: it is
/// comparable only between runs that use the same classifier checkpoint.
/// Matrix square root, all in float64: pytorch-fid (mseitzer/pytorch-fid, src/pytorch_fid/fid_score.py,
/// calculate_frechet_distance) uses scipy.linalg.sqrtm of the non-symmetric C1 C2. We use instead that C1 C2 and
/// S C2 S with S = C1^{1/2} have the same eigenvalues (AB and BA share their spectrum, with A = S, B = S C2), and that
/// S C2 S is symmetric positive semi-definite; so tr (C1 C2)^{1/2} = sum_i sqrt(lambda_i(S C2 S)), where S itself
/// comes from the eigen-decomposition C1 = Q diag(l) Q^T as Q diag(sqrt(max(l, 0))) Q^T. Both decompositions are of
/// symmetric matrices (torch.linalg.eigh), which is stable, and tiny negative eigenvalues from round-off are clipped
/// to 0.
/// </remarks>
public static class FrechetDistance
{
    /// <summary>The Fréchet distance (squared form, as FID reports it) between features a (N1, D) and b (N2, D).</summary>
    public static double Compute(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return Compute(FeatureStatistics.Of(a), FeatureStatistics.Of(b));
    }

    /// <summary>The Fréchet distance between two fitted Gaussians.</summary>
    public static double Compute(FeatureStatistics a, FeatureStatistics b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Mean.shape.SequenceEqual(b.Mean.shape))
            throw new ArgumentException($"feature widths differ: {a.Mean.shape[0]} vs {b.Mean.shape[0]}", nameof(b));
        using var scope = NewDisposeScope();
        var meanTerm = a.Mean.sub(b.Mean).square().sum().item<double>();
        var sqrtA = SymmetricSqrt(a.Covariance); // (D, D)
        var middle = sqrtA.mm(b.Covariance).mm(sqrtA); // (D, D) symmetric PSD
        middle = middle.add(middle.T).mul(0.5); // remove round-off asymmetry before eigh
        var (eigenvalues, _) = linalg.eigh(middle);
        double traceSqrt = eigenvalues.clamp_min(0).sqrt().sum().item<double>();
        double trace = a.Covariance.trace().item<double>() + b.Covariance.trace().item<double>();
        return Math.Max(0, meanTerm + trace - 2 * traceSqrt);
    }

    /// <summary>C^{1/2} of a symmetric PSD matrix via C = Q diag(l) Q^T, negative round-off eigenvalues clipped to 0.</summary>
    internal static Tensor SymmetricSqrt(Tensor c)
    {
        var sym = c.add(c.T).mul(0.5); // (D, D)
        var (l, q) = linalg.eigh(sym);
        return q.mul(l.clamp_min(0).sqrt().unsqueeze(0)).mm(q.T); // Q diag(sqrt l) Q^T
    }
}
