using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>Checks shared by every noise entry point; messages name the argument, the expectation and what came.</summary>
internal static class NoiseArguments
{
    internal static string Shape(Tensor t) => $"({string.Join(", ", t.shape)})";

    /// <summary>x0 must be a non-empty floating batch (B, ...) with finite values.</summary>
    internal static void CheckBatch(Tensor? x0, string name)
    {
        CheckShape(x0, name);
        CheckFinite(x0, name);
    }

    /// <summary>The shape and dtype part of <see cref="CheckBatch"/>: a non-empty float32/float64 batch (B, ...).</summary>
    internal static void CheckShape([System.Diagnostics.CodeAnalysis.NotNull] Tensor? x0, string name)
    {
        ArgumentNullException.ThrowIfNull(x0, name);
        if (x0.Dimensions < 1)
            throw new ArgumentException($"{name} must be a batch shaped (B, ...); received a scalar tensor", name);
        if (x0.shape[0] < 1)
            throw new ArgumentException($"{name} must hold at least one sample (B >= 1); received shape {Shape(x0)}", name);
        if (x0.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"{name} must be float32 or float64; received {x0.dtype}", name);
    }

    /// <summary>The value part of <see cref="CheckBatch"/>: every value of <paramref name="x0"/> is finite.</summary>
    internal static void CheckFinite(Tensor x0, string name)
    {
        using var scope = NewDisposeScope();
        // One reduction pass instead of an isfinite mask: a float64 sum of float32 values cannot overflow, so it
        // is finite exactly when every value is (NaN and +-inf propagate). Counting runs only on failure.
        if (!double.IsFinite(x0.sum(type: ScalarType.Float64).item<double>()))
        {
            long nan = x0.isnan().sum().item<long>();
            long inf = x0.isinf().sum().item<long>();
            throw new ArgumentException(nan + inf > 0
                ? $"{name} must be finite; received {nan} NaN and {inf} infinite values in shape {Shape(x0)}"
                : $"{name} must have magnitudes whose sum fits float64; received values that overflow it in shape {Shape(x0)}", name);
        }
    }
}
