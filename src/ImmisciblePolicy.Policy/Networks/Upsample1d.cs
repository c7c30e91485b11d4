using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// Doubles the temporal length with ConvTranspose1d(C, C, kernel 4, stride 2, padding 1):
/// T -> (T - 1) * 2 - 2 + 4 = 2T. diffusion_policy's <c>Upsample1d</c>
/// (real-stanford/diffusion_policy, model/diffusion/conv1d_components.py); registered as <c>conv</c>.
/// </summary>
public sealed class Upsample1d : nn.Module<Tensor, Tensor>
{
    private readonly ConvTranspose1d _conv;

    internal Upsample1d(int channels) : base(nameof(Upsample1d))
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be positive");
        Channels = channels;
        _conv = nn.ConvTranspose1d(channels, channels, 4, stride: 2, padding: 1);
        register_module("conv", _conv);
    }

    /// <summary>Channels C (unchanged).</summary>
    public int Channels { get; }

    /// <param name="x">(B, C, T).</param>
    /// <returns>(B, C, 2T).</returns>
    public override Tensor forward(Tensor x)
    {
        if (x.ndim != 3 || x.shape[1] != Channels)
            throw new ArgumentException($"expected (B, {Channels}, T); got shape ({string.Join(", ", x.shape)})", nameof(x));
        return _conv.forward(x);
    }
}

public static partial class PolicyNetworks
{
    /// <summary>ConvTranspose1d(k4, s2, p1): doubles the temporal length.</summary>
    public static Upsample1d Upsample1d(int channels) => new(channels);
}
