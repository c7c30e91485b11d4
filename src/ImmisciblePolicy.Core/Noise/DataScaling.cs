using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// Data (image) scaling from Improved Immiscible Diffusion: train on s * x0, which pushes samples apart relative
/// to the unchanged N(0, I) noise, and map generated samples back with sample / s. It composes with any
/// assigner: the trainer scales the clean batch first and hands the scaled batch to
/// <see cref="INoiseAssigner.Assign"/>, so distances are measured where the model actually diffuses.
/// </summary>
/// <remarks>The paper does not say how sampling maps back; dividing by the same constant is the natural inverse.</remarks>
public sealed class DataScaling
{
    /// <summary>Scaling by <paramref name="factor"/> (finite, > 0; 1 is the identity).</summary>
    public DataScaling(double factor)
    {
        CheckScale(factor, nameof(factor));
        Factor = factor;
    }

    /// <summary>The constant s.</summary>
    public double Factor { get; }

    /// <summary>True when s = 1, so callers may skip the multiplication.</summary>
    public bool IsIdentity => Factor == 1.0;

    /// <summary>Scaling with the config's <see cref="NoiseAssignmentConfig.DataScale"/>.</summary>
    public static DataScaling FromConfig(NoiseAssignmentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new DataScaling(config.DataScale);
    }

    /// <summary>Training side: s * x0, a new tensor in the caller's dispose scope. x0: (B, ...).</summary>
    public Tensor Scale(Tensor x0)
    {
        ArgumentNullException.ThrowIfNull(x0);
        using var factor = Factor.ToScalar(); // held across the native call (docs/design.md "Native safety")
        return x0.mul(factor);
    }

    /// <summary>Sampling side: sample / s, a new tensor in the caller's dispose scope. sample: (B, ...).</summary>
    public Tensor Unscale(Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        using var factor = Factor.ToScalar();
        return sample.div(factor);
    }

    internal static void CheckScale(double s, string name)
    {
        if (!double.IsFinite(s) || s <= 0)
            throw new ArgumentException(
                $"{name} (data scale) must be a finite number > 0; received {s.ToString(CultureInfo.InvariantCulture)}", name);
    }
}
