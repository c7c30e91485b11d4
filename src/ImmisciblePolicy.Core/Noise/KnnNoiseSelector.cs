using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// KNN noise selection (Improved Immiscible Diffusion, Li et al. 2025): for every sample draw K Gaussian
/// candidates and keep the one nearest in L2. Each sample chooses alone, so any batch size works and the cost
/// is linear in B. Reference: yhli123/Immiscible-Diffusion, KNN-stable_diffusion/conditional_ft_train_sd.py,
/// training loop (randn (B, k, C, H, W), vector_norm of the difference, min over k, gather).
/// </summary>
/// <remarks>
/// <para>Draw order: all candidates come from ONE randn call shaped (B, K, ...), filled row-major, so candidate
/// j of sample b is the (b*K + j)-th item block. With K = 1 this is exactly the (B, ...) call of
/// <see cref="VanillaNoise"/>: the same generator state gives the same numbers and the selector returns them.</para>
/// <para>Distances use ||x||^2 - 2 x.e + ||e||^2 with a batched matrix product, so the (B, K, D) difference
/// tensor the reference builds never exists; the only (B, K, D) tensor is the candidates themselves (plus a
/// rounded copy in Float16 mode or a pooled one with PoolTo).</para>
/// </remarks>
public sealed class KnnNoiseSelector : INoiseAssigner
{
    private readonly CostSpace _space;

    /// <summary>Selector with K, precision, standardisation and pooling from <paramref name="config"/> (Method is ignored).</summary>
    public KnnNoiseSelector(NoiseAssignmentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        K = config.K;
        _space = new CostSpace(config.StandardizeForCost, config.PoolTo, config.CostPrecision);
    }

    /// <summary>Candidates per sample.</summary>
    public int K { get; }

    /// <inheritdoc />
    public string Name => $"knn-k{K}{_space.NameSuffix}";

    /// <inheritdoc />
    public Tensor Assign(Tensor x0, Generator? generator, long step = 0)
    {
        NoiseArguments.CheckBatch(x0, nameof(x0));
        _space.CheckShape(x0, nameof(x0));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long b = x0.shape[0];
        long[] itemShape = x0.shape[1..];
        var candidates = randn([b, K, .. itemShape], dtype: x0.dtype, device: x0.device, generator: generator); // (B, K, ...)

        var x = _space.Samples(x0); // (B, D')
        var e = _space.Noise(candidates, batchDims: 2); // (B, K, D')
        var x2 = linalg.vector_norm(x, dims: [1]).square(); // (B)
        var e2 = linalg.vector_norm(e, dims: [2]).square(); // (B, K), reduced in one pass without a squared copy
        // (B, 1, D') x (B, D', K) -> (B, 1, K). This orientation (a row vector times the transposed candidates)
        // measured 5-10x faster than (B, K, D') x (B, D', 1) on CPU libtorch 2.10 at B = 1024, D = 784, K = 2.
        var cross = x.unsqueeze(1).bmm(e.transpose(1, 2)).squeeze(1); // (B, K)
        var d2 = (e2 - 2 * cross + x2.unsqueeze(1)).clamp_min(0); // (B, K) squared distances, clamped against cancellation
        var dist = _space.RoundCost(d2.sqrt()); // (B, K)
        var best = dist.argmin(1); // (B) first minimum on ties

        var rows = arange(b, dtype: ScalarType.Int64, device: x0.device) * K + best; // (B) flat candidate index
        var noise = candidates.reshape([b * K, .. itemShape]).index_select(0, rows); // (B, ...)
        return noise.MoveToOuterDisposeScope();
    }
}
