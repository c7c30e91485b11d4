using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// Observation-aware linear assignment: batch-wide pairing that only moves a noise between samples whose
/// conditions are close. Draw B noises, noise j for sample j (the vanilla pairing), then solve the B x B assignment
/// with cost
/// <code>
///   C[b, j] = d(x0_b, e_j) + lambda * d_c(c_b, c_j)
/// </code>
/// where d is the configured sample-to-noise distance (as <see cref="LinearAssignmentNoise"/>) and d_c the distance
/// between the conditions of sample b and of the sample the noise was drawn for (per-coordinate standardised over the
/// batch; root mean square over coordinates for L2, mean square for squared L2), lambda =
/// <see cref="NoiseAssignmentConfig.ConditionWeight"/>.
/// </summary>
/// <remarks>
/// <para>Why: plain assignment pairs the whole batch, so a sample's noise is chosen near its action whatever its
/// observation; the denoiser can then read the action off the noisy input and learn to ignore the observation, which
/// would explain why plain assignment hurt the first study's policies (docs/results/README.md). Charging for moves
/// between different observations keeps the noise-to-action coupling inside groups of similar observations.</para>
/// <para>What it follows: the conditional optimal-transport couplings of conditional flow matching, which add a
/// weighted condition term to the minibatch OT cost so that mass is not transported across conditions —
/// Chemseddine, Hagemann, Steidl and Wald, "Conditional Wasserstein distances with applications in Bayesian OT flow
/// matching" (arXiv 2403.18705, 2024: cost |x1 - x2|^2 + beta |y1 - y2|^2, beta to infinity), and Kerrigan, Migliorini
/// and Smyth, "Dynamic conditional optimal transport through simulation-free flows" (arXiv 2404.04240, 2024:
/// triangular COT-FM, source conditions sampled from the data's). Here the noise's "source condition" is the
/// condition of the sample it was drawn for, so lambda = 0 is plain assignment and lambda to infinity (with distinct
/// conditions) keeps the vanilla pairing.</para>
/// <para>Random draws are exactly those of <see cref="LinearAssignmentNoise"/> (one randn shaped like x0); with B = 1
/// the result is the vanilla draw.</para>
/// </remarks>
public sealed class ObservationAwareAssignmentNoise : IConditionalNoiseAssigner
{
    private readonly LinearAssignmentNoise _samples;

    /// <summary>Assigner with distance, precision, standardisation, pooling and ConditionWeight from <paramref name="config"/>.</summary>
    public ObservationAwareAssignmentNoise(NoiseAssignmentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _samples = new LinearAssignmentNoise(config);
        ConditionWeight = config.ConditionWeight;
    }

    /// <summary>lambda, the weight of the condition distance.</summary>
    public double ConditionWeight { get; }

    /// <summary>The sample-to-noise distance.</summary>
    public NoiseDistance Distance => _samples.Distance;

    /// <inheritdoc />
    public string Name => $"{_samples.Name}-obs{ConditionWeight.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">always: this pairing needs the samples' conditions.</exception>
    public Tensor Assign(Tensor x0, Generator? generator, long step = 0) =>
        throw new InvalidOperationException(
            $"noise assigner '{Name}' pairs by observation: call Assign(x0, condition, generator, step) " +
            "(NoiseAssignment.Assign passes the condition); only conditional trainers such as Diffusion Policy can use it");

    /// <inheritdoc />
    public Tensor Assign(Tensor x0, Tensor condition, Generator? generator, long step = 0)
    {
        NoiseArguments.CheckBatch(x0, nameof(x0));
        NoiseArguments.CheckBatch(condition, nameof(condition));
        if (condition.shape[0] != x0.shape[0])
            throw new ArgumentException(
                $"condition must hold one row per sample: x0 has B = {x0.shape[0]}, condition has shape {NoiseArguments.Shape(condition)}",
                nameof(condition));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var candidates = VanillaNoise.Draw(x0, generator); // (B, ...): candidate j drawn for sample j
        if (x0.shape[0] == 1) return candidates.MoveToOuterDisposeScope();
        var cost = _samples.SampleNoiseCost(x0, candidates); // (B, B)
        if (ConditionWeight > 0)
        {
            using var weight = ConditionWeight.ToScalar(); // held across the call (docs/design.md "Native safety")
            cost = cost.add(ConditionCost(condition), weight); // (B, B): cost + lambda d_c
        }
        return LinearAssignmentNoise.Permute(candidates, cost).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// d_c(c_b, c_j) for every pair (B, B): conditions flattened, standardised per coordinate over the batch
    /// (population std; coordinates with std below 1e-4 only centred, as <see cref="CostSpace"/> does for samples),
    /// then the root-mean-square difference (L2) or the mean squared difference (squared L2). Zero on the diagonal.
    /// </summary>
    internal Tensor ConditionCost(Tensor condition)
    {
        long b = condition.shape[0];
        var c = condition.reshape(b, -1).to(ScalarType.Float32); // (B, Dc)
        long dc = c.shape[1];
        var mean = c.mean([0], keepdim: true); // (1, Dc)
        var std = c.std(0, unbiased: false, keepdim: true); // (1, Dc)
        // Held Scalars only (docs/design.md "Native safety").
        using var minStd = CostSpace.MinStd.ToScalar();
        using var coordinates = ((float)dc).ToScalar();
        std = where(std.lt(minStd), ones_like(std), std);
        var z = c.sub(mean).div(std); // (B, Dc)
        var z2 = z.pow(Scalars.Two).sum(1); // (B)
        var cross = z.mm(z.T).mul(Scalars.Two); // (B, B)
        var d2 = z2.unsqueeze(1).add(z2.unsqueeze(0), Scalars.One).sub(cross)
            .clamp_min(Scalars.Zero).div(coordinates); // (B, B) mean squared difference
        d2 = d2.masked_fill(eye(b, dtype: ScalarType.Bool, device: d2.device), Scalars.Zero); // exact zeros on the diagonal
        return Distance == NoiseDistance.L2 ? d2.sqrt() : d2;
    }
}
