using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// The space in which sample-to-noise distances are measured: optional per-coordinate standardisation of the
/// data, optional average pooling of image-shaped tensors, and the cost precision. Only the cost sees it; the
/// noise handed back is always the untouched candidate.
/// </summary>
internal sealed class CostSpace
{
    /// <summary>Reference scale before rounding to half precision: keeps squared sums of unit-variance values far
    /// from the float16 maximum (65504). yhli123/Immiscible-Diffusion, Linear_Assignment-stable_diffusion/
    /// conditional_ft_train_sd.py, training loop ("0.10 * latents.to(torch.float16)").</summary>
    internal const double HalfPrecisionScale = 0.1;

    /// <summary>Coordinates whose batch std is below this are only centred (the Diffusion Policy normaliser's rule).</summary>
    internal const double MinStd = 1e-4;

    // Held for the process's lifetime: Scalars passed to libtorch must outlive the call (docs/design.md "Native safety").
    private static readonly Scalar MinStdScalar = MinStd.ToScalar();
    private static readonly Scalar HalfPrecisionScaleScalar = HalfPrecisionScale.ToScalar();

    internal CostSpace(bool standardize, int? poolTo, CostPrecision precision)
    {
        Standardize = standardize;
        PoolTo = poolTo;
        Precision = precision;
    }

    internal bool Standardize { get; }
    internal int? PoolTo { get; }
    internal CostPrecision Precision { get; }

    /// <summary>Suffix for assigner names, e.g. "-pool8-fp16-std".</summary>
    internal string NameSuffix =>
        (PoolTo is int p ? $"-pool{p}" : "") + (Precision == CostPrecision.Float16 ? "-fp16" : "") + (Standardize ? "-std" : "");

    /// <summary>Rejects shapes the space cannot handle (pooling needs (B, C, H, W) with H, W >= PoolTo).</summary>
    internal void CheckShape(Tensor x0, string name)
    {
        if (PoolTo is not int p) return;
        if (x0.Dimensions != 4)
            throw new ArgumentException(
                $"{name} must be image-shaped (B, C, H, W) when PoolTo = {p} is set; received shape {NoiseArguments.Shape(x0)}", name);
        if (x0.shape[2] < p || x0.shape[3] < p)
            throw new ArgumentException(
                $"{name} spatial size must be at least PoolTo = {p} on both axes; received shape {NoiseArguments.Shape(x0)}", name);
    }

    /// <summary>Data features (B, D') in float32, D' = C*PoolTo^2 when pooling, else the flattened size.</summary>
    internal Tensor Samples(Tensor x0)
    {
        var x = Float32(x0); // (B, ...)
        if (Standardize)
        {
            // Per-coordinate statistics over the batch (dim 0); population std, so B = 1 centres to zero.
            var mean = x.mean([0], keepdim: true); // (1, ...)
            var std = x.std(0, unbiased: false, keepdim: true); // (1, ...)
            std = where(std.lt(MinStdScalar), ones_like(std), std);
            x = (x - mean) / std; // (B, ...)
        }
        return Finish(x, batchDims: 1);
    }

    /// <summary>Noise features shaped (lead..., D') for noise shaped (lead..., item...), lead = batchDims dims.</summary>
    internal Tensor Noise(Tensor noise, int batchDims) => Finish(Float32(noise), batchDims);

    /// <summary>The tensor itself when it is float32 already (saves a native call and a wrapper per use), else a float32 copy.</summary>
    private static Tensor Float32(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to(ScalarType.Float32);

    private Tensor Finish(Tensor t, int batchDims)
    {
        var lead = t.shape[..batchDims];
        if (PoolTo is int p)
        {
            var item = t.shape[batchDims..]; // (C, H, W)
            var images = t.reshape([-1, item[0], item[1], item[2]]); // (N, C, H, W)
            t = nn.functional.adaptive_avg_pool2d(images, [p, p]); // (N, C, p, p)
        }
        var flat = t.reshape([.. lead, -1]); // (lead..., D')
        if (Precision == CostPrecision.Float16)
            flat = flat.mul(HalfPrecisionScaleScalar).to(ScalarType.Float16).to(ScalarType.Float32); // values as fp16 sees them
        return flat;
    }

    /// <summary>Rounds distances as a float16 cost matrix would hold them (identity for Float32).</summary>
    internal Tensor RoundCost(Tensor cost) =>
        Precision == CostPrecision.Float16 ? cost.to(ScalarType.Float16).to(ScalarType.Float32) : cost;
}
