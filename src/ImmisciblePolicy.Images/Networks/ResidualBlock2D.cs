using ImmisciblePolicy.Core.Torch;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Networks;

/// <summary>
/// DDPM's residual block (Ho et al. 2020, appendix B; diffusers ResnetBlock2D with the default "default"
/// time-embedding norm): GroupNorm -> SiLU -> 3x3 conv, + Linear(SiLU(temb)) per channel, GroupNorm -> SiLU ->
/// 3x3 conv, plus a 1x1-projected shortcut when the width changes.
/// </summary>
internal sealed class ResidualBlock2D : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm _norm1, _norm2;
    private readonly Conv2d _conv1, _conv2;
    private readonly Linear _time;
    private readonly Conv2d? _shortcut;

    public ResidualBlock2D(int inChannels, int outChannels, int timeDim, int groups) : base(nameof(ResidualBlock2D))
    {
        InChannels = inChannels;
        _norm1 = Norms.Group(groups, inChannels);
        _conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        _time = nn.Linear(timeDim, outChannels);
        _norm2 = Norms.Group(groups, outChannels);
        _conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels) _shortcut = nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    public int InChannels { get; }

    /// <param name="x">(B, C_in, H, W).</param>
    /// <param name="temb">(B, D_t).</param>
    /// <returns>(B, C_out, H, W).</returns>
    public override Tensor forward(Tensor x, Tensor temb)
    {
        var h = _conv1.forward(nn.functional.silu(_norm1.forward(x))); // (B, C_out, H, W)
        h = h.add(_time.forward(nn.functional.silu(temb)).unsqueeze(-1).unsqueeze(-1), Scalars.One); // + (B, C_out, 1, 1); alpha held (docs/design.md "Native safety")
        h = _conv2.forward(nn.functional.silu(_norm2.forward(h))); // (B, C_out, H, W)
        return h.add(_shortcut is null ? x : _shortcut.forward(x), Scalars.One);
    }
}
