using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// Halves the temporal length with a strided Conv1d(C, C, kernel 3, stride 2, padding 1):
/// T -> floor((T - 1) / 2) + 1 = ceil(T / 2). diffusion_policy's <c>Downsample1d</c>
/// (real-stanford/diffusion_policy, model/diffusion/conv1d_components.py); registered as <c>conv</c>.
/// </summary>
public sealed class Downsample1d : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d _conv;

    internal Downsample1d(int channels) : base(nameof(Downsample1d))
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be positive");
        Channels = channels;
        _conv = nn.Conv1d(channels, channels, 3, stride: 2, padding: 1);
        register_module("conv", _conv);
    }

    /// <summary>Channels C (unchanged).</summary>
    public int Channels { get; }

    /// <param name="x">(B, C, T).</param>
    /// <returns>(B, C, ceil(T / 2)).</returns>
    public override Tensor forward(Tensor x)
    {
        if (x.ndim != 3 || x.shape[1] != Channels)
            throw new ArgumentException($"expected (B, {Channels}, T); got shape ({string.Join(", ", x.shape)})", nameof(x));
        return _conv.forward(x);
    }
}

public static partial class PolicyNetworks
{
    /// <summary>Conv1d(k3, s2, p1): halves the temporal length.</summary>
    public static Downsample1d Downsample1d(int channels) => new(channels);
}
