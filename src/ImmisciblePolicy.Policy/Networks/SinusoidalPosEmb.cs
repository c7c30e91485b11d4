using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// Transformer-style sinusoidal embedding of the diffusion timestep, as diffusion_policy's
/// <c>SinusoidalPosEmb</c> (real-stanford/diffusion_policy, model/diffusion/positional_embedding.py):
/// frequency i is exp(-i ln(10000) / (half - 1)) for i = 0..half-1, and the output is [sin, cos] of
/// timestep x frequency, concatenated in that order.
/// </summary>
public sealed class SinusoidalPosEmb : nn.Module<Tensor, Tensor>
{
    private readonly int _dim;

    internal SinusoidalPosEmb(int dim) : base(nameof(SinusoidalPosEmb))
    {
        // half - 1 is a divisor, so at least two frequencies are needed; an odd size would silently
        // produce dim - 1 features in the reference, so it is refused here.
        if (dim < 4 || dim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "embedding size must be even and at least 4");
        _dim = dim;
    }

    /// <summary>Embedding size (number of output features).</summary>
    public int Dim => _dim;

    /// <param name="timesteps">diffusion steps (B), any numeric dtype.</param>
    /// <returns>(B, dim) float32.</returns>
    public override Tensor forward(Tensor timesteps)
    {
        if (timesteps.ndim != 1)
            throw new ArgumentException(
                $"timesteps must have shape (B); got shape ({string.Join(", ", timesteps.shape)})", nameof(timesteps));
        int half = _dim / 2;
        double scale = Math.Log(10000.0) / (half - 1);
        using var scope = NewDisposeScope();
        // Scalars held across the native calls (docs/design.md "Native safety"); arange(0, half, 1) is what
        // TorchSharp's arange(half) does with temporaries.
        using var count = half.ToScalar();
        using var negativeScale = (-scale).ToScalar();
        var freqs = exp(arange(Scalars.Zero, count, Scalars.One, dtype: float32, device: timesteps.device).mul(negativeScale)); // (half)
        var args = timesteps.to(float32).unsqueeze(1) * freqs.unsqueeze(0);                   // (B, half)
        return cat([args.sin(), args.cos()], dim: -1).MoveToOuterDisposeScope();            // (B, dim)
    }
}

/// <summary>Factories for the Diffusion Policy network blocks, in TorchSharp's <c>nn.X(...)</c> style.</summary>
public static partial class PolicyNetworks
{
    /// <summary>Sinusoidal timestep embedding of size <paramref name="dim"/> (even, at least 4).</summary>
    public static SinusoidalPosEmb SinusoidalPosEmb(int dim) => new(dim);
}
