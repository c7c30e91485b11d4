using ImmisciblePolicy.Core.Torch;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Networks;

/// <summary>
/// Single-head self-attention over the H x W positions with a residual connection, DDPM's AttnBlock
/// (hojonathanho/diffusion, diffusion_tf/models/unet.py, attn_block): GroupNorm, 1x1 q/k/v, softmax(q k^T / sqrt(C)) v,
/// 1x1 output projection.
/// </summary>
internal sealed class SelfAttention2D : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm _norm;
    private readonly Conv2d _qkv, _proj;
    private readonly int _channels;

    public SelfAttention2D(int channels, int groups) : base(nameof(SelfAttention2D))
    {
        _channels = channels;
        _norm = Norms.Group(groups, channels);
        _qkv = nn.Conv2d(channels, 3 * channels, 1);
        _proj = nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    /// <param name="x">(B, C, H, W).</param>
    /// <returns>(B, C, H, W).</returns>
    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        var qkv = _qkv.forward(_norm.forward(x)).reshape(b, 3, _channels, h * w); // (B, 3, C, N)
        var q = qkv.select(1, 0).transpose(1, 2); // (B, N, C)
        var k = qkv.select(1, 1); // (B, C, N)
        var v = qkv.select(1, 2).transpose(1, 2); // (B, N, C)
        using var scale = (1.0 / Math.Sqrt(_channels)).ToScalar(); // held across the call (docs/design.md "Native safety")
        var attention = q.bmm(k).mul(scale).softmax(-1); // (B, N, N)
        var o = attention.bmm(v).transpose(1, 2).reshape(b, _channels, h, w); // (B, C, H, W)
        return x.add(_proj.forward(o), Scalars.One);
    }
}
