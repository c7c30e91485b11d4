using ImmisciblePolicy.Core.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Networks;

/// <summary>Factory for GroupNorm with PyTorch's initial affine parameters.</summary>
internal static class Norms
{
    /// <summary>
    /// GroupNorm(groups, channels) with gamma = 1, beta = 0: TorchSharp 0.107 leaves both uninitialised (values like
    /// 1e27 have been observed), so PyTorch's defaults are set explicitly.
    /// </summary>
    public static GroupNorm Group(int groups, int channels)
    {
        var norm = nn.GroupNorm(groups, channels);
        using (no_grad())
        {
            norm.weight!.fill_(Scalars.One);
            norm.bias!.zero_();
        }
        return norm;
    }
}
