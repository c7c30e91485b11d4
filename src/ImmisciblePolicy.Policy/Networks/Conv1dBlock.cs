using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// Conv1d (kernel k, padding k/2, so odd kernels keep the length) -> GroupNorm -> Mish, diffusion_policy's
/// <c>Conv1dBlock</c> (real-stanford/diffusion_policy, model/diffusion/conv1d_components.py). Submodules are
/// registered as <c>block.0/1/2</c> so parameter names match the reference state dict.
/// </summary>
public sealed class Conv1dBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _block;

    internal Conv1dBlock(int inChannels, int outChannels, int kernelSize, int nGroups) : base(nameof(Conv1dBlock))
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "must be positive");
        if (outChannels < 1) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "must be positive");
        if (kernelSize < 1 || kernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be odd so that padding k/2 keeps the length");
        if (nGroups < 1 || outChannels % nGroups != 0)
            throw new ArgumentException(
                $"GroupNorm needs outChannels divisible by nGroups; got outChannels={outChannels}, nGroups={nGroups}", nameof(nGroups));
        InChannels = inChannels;
        OutChannels = outChannels;
        var norm = nn.GroupNorm(nGroups, outChannels);
        // TorchSharp 0.107's GroupNorm leaves its affine parameters uninitialised (values like 1e27 were
        // observed); set PyTorch's defaults, gamma = 1 and beta = 0, explicitly.
        using (no_grad())
        {
            norm.weight!.fill_(Scalars.One);
            norm.bias!.zero_();
        }
        _block = nn.Sequential(
            nn.Conv1d(inChannels, outChannels, kernelSize, padding: kernelSize / 2),
            norm,
            new Mish());
        register_module("block", _block);
    }

    /// <summary>Input channels C_in.</summary>
    public int InChannels { get; }

    /// <summary>Output channels C_out.</summary>
    public int OutChannels { get; }

    /// <param name="x">(B, C_in, T).</param>
    /// <returns>(B, C_out, T).</returns>
    public override Tensor forward(Tensor x)
    {
        if (x.ndim != 3 || x.shape[1] != InChannels)
            throw new ArgumentException(
                $"expected (B, {InChannels}, T); got shape ({string.Join(", ", x.shape)})", nameof(x));
        return _block.forward(x);
    }
}

public static partial class PolicyNetworks
{
    /// <summary>Conv1d(k, padding k/2) -> GroupNorm(<paramref name="nGroups"/>) -> Mish.</summary>
    public static Conv1dBlock Conv1dBlock(int inChannels, int outChannels, int kernelSize, int nGroups = 8) =>
        new(inChannels, outChannels, kernelSize, nGroups);
}
