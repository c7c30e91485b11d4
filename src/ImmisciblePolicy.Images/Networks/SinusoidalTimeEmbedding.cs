using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Networks;

/// <summary>
/// Transformer-style sinusoidal embedding of a (possibly fractional) timestep, as in DDPM
/// (huggingface/diffusers src/diffusers/models/embeddings.py, get_timestep_embedding with flip_sin_to_cos=True,
/// downscale_freq_shift=0): [cos(t w_i), sin(t w_i)] with w_i = 10000^(-i / (d/2)).
/// </summary>
internal static class SinusoidalTimeEmbedding
{
    /// <param name="t">(B) float timesteps (0..T-1 for DDPM, 1000 t for flow matching).</param>
    /// <param name="dim">even embedding width d.</param>
    /// <returns>(B, d).</returns>
    public static Tensor Embed(Tensor t, int dim)
    {
        int half = dim / 2;
        // Scalars held across the native calls (docs/design.md "Native safety"); arange(0, half, 1) is arange(half).
        using var count = half.ToScalar();
        using var rate = (-Math.Log(10000.0) / half).ToScalar();
        var exponent = arange(Scalars.Zero, count, Scalars.One, dtype: ScalarType.Float32, device: t.device).mul(rate); // (d/2)
        var args = t.to_type(ScalarType.Float32).unsqueeze(1).mul(exponent.exp().unsqueeze(0)); // (B, d/2)
        return cat([args.cos(), args.sin()], 1); // (B, d)
    }
}
