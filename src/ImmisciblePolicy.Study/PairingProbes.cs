using System.Diagnostics;
using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Study;

/// <summary>The analyses that do not need a trained model (miscibility) and the bijective check of a trained one.</summary>
internal static class PairingProbes
{
    /// <summary>Perturbation sizes of the bijective check: 10 %, 20 %, 30 % (Immiscible Diffusion's figure).</summary>
    public static IReadOnlyList<double> Perturbations { get; } = [0.1, 0.2, 0.3];

    /// <summary>
    /// Miscibility of <paramref name="noise"/>'s pairing on <paramref name="x0"/> (B, ...), the batch exactly as the assigner
    /// sees it in training: mean pair distance against vanilla noise from the same draws, noise-cluster separation
    /// against vanilla's, and the median cost of one assignment against one vanilla draw.
    /// </summary>
    public static MiscibilityRecord Miscibility(NoiseAssignmentConfig noise, Tensor x0, int repeats, long seed, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        // The probe measures the pairing itself: a vanilla warm-up would make step 0 look vanilla.
        var created = NoiseAssigners.Create(noise with { WarmupSteps = 0 });
        var assigner = created is IConditionalNoiseAssigner conditional
            ? new ConditionBound(conditional, condition ?? throw new ArgumentException(
                $"pairing '{created.Name}' needs the batch's conditions to be probed", nameof(condition)))
            : created;
        var distance = MiscibilityMetrics.DistanceReduction(assigner, x0, seed);
        using var g1 = new Generator((ulong)seed + 1);
        using var g2 = new Generator((ulong)seed + 1);
        double separation = MiscibilityMetrics.NoiseClusterSeparation(assigner, x0, repeats, g1);
        double vanillaSeparation = MiscibilityMetrics.NoiseClusterSeparation(new VanillaNoise(), x0, repeats, g2);
        using var g3 = new Generator((ulong)seed + 2);
        double assignMs = MedianMilliseconds(() => assigner.Assign(x0, g3, 0));
        var vanilla = new VanillaNoise();
        double drawMs = MedianMilliseconds(() => vanilla.Assign(x0, g3, 0));
        return new MiscibilityRecord((int)(x0.NumberOfElements / x0.shape[0]), distance.Vanilla, distance.Assigned,
            100.0 * (1.0 - (distance.Assigned / distance.Vanilla)), separation, vanillaSeparation, assignMs, drawMs);
    }

    /// <summary>
    /// The bijective check: <paramref name="denoise"/> maps starting noise (n, ...) to samples deterministically; each
    /// perturbation w moves x to sqrt(1 - w^2) x + w e. <paramref name="label"/> (optional) classifies samples (n) for
    /// the flip rate.
    /// </summary>
    public static IReadOnlyList<BijectiveRecord> Bijective(Func<Tensor, Tensor> denoise, long[] noiseShape, Func<Tensor, Tensor>? label, long seed)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var g = new Generator((ulong)seed);
        var x = randn(noiseShape, generator: g); // fixed starting noises
        var reference = denoise(x).to(ScalarType.Float64); // (n, ...)
        var referenceLabels = label?.Invoke(reference.to(ScalarType.Float32));
        long n = noiseShape[0];
        var result = new List<BijectiveRecord>();
        foreach (var w in Perturbations)
        {
            using var inner = NewDisposeScope();
            var e = randn(noiseShape, generator: g);
            var perturbed = x.mul(Math.Sqrt(1 - (w * w))).add(e.mul(w));
            var sample = denoise(perturbed).to(ScalarType.Float64);
            var diff = sample.sub(reference).reshape(n, -1); // (n, D)
            double rms = diff.square().mean().sqrt().item<double>();
            double relative = linalg.vector_norm(diff, dims: [1]).div(linalg.vector_norm(reference.reshape(n, -1), dims: [1]).clamp_min(1e-12))
                .mean().item<double>();
            double? flips = referenceLabels is null ? null
                : label!(sample.to(ScalarType.Float32)).ne(referenceLabels).to(ScalarType.Float64).mean().item<double>();
            result.Add(new BijectiveRecord(w, rms, relative, flips));
        }
        return result;
    }

    private static double MedianMilliseconds(Func<Tensor> run, int repeats = 21)
    {
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            run();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeats / 2];
    }

    /// <summary>A conditional pairing with the batch's conditions fixed, so the probes can call it like any other.</summary>
    private sealed class ConditionBound(IConditionalNoiseAssigner inner, Tensor condition) : INoiseAssigner
    {
        public string Name => inner.Name;

        public Tensor Assign(Tensor x0, Generator? generator, long step = 0) => inner.Assign(x0, condition, generator, step);
    }
}
