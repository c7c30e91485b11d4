using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// Residual block with FiLM conditioning (Perez et al. 2018), diffusion_policy's
/// <c>ConditionalResidualBlock1D</c> (real-stanford/diffusion_policy, model/diffusion/conditional_unet1d.py):
/// out = block2(FiLM(block1(x), cond)) + residual(x), where FiLM is scale * h + bias with
/// [scale, bias] = Linear(Mish(cond)) per channel (or h + bias without predicted scale), and residual is a
/// 1x1 conv when the channel count changes, identity otherwise. Submodule names follow the reference:
/// <c>blocks.0</c>, <c>blocks.1</c>, <c>cond_encoder.1</c>, <c>residual_conv</c>.
/// </summary>
public sealed class ConditionalResidualBlock1D : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Conv1dBlock _block1;
    private readonly Conv1dBlock _block2;
    private readonly Sequential _condEncoder;
    private readonly Conv1d? _residualConv;

    internal ConditionalResidualBlock1D(
        int inChannels, int outChannels, int condDim, int kernelSize, int nGroups, bool condPredictScale)
        : base(nameof(ConditionalResidualBlock1D))
    {
        if (condDim < 1) throw new ArgumentOutOfRangeException(nameof(condDim), condDim, "must be positive");
        InChannels = inChannels;
        OutChannels = outChannels;
        CondDim = condDim;
        CondPredictScale = condPredictScale;
        _block1 = new Conv1dBlock(inChannels, outChannels, kernelSize, nGroups);
        _block2 = new Conv1dBlock(outChannels, outChannels, kernelSize, nGroups);
        register_module("blocks", nn.ModuleList<Conv1dBlock>(_block1, _block2));
        // With predicted scale the encoder emits [scale (C), bias (C)]; without, only a bias (C).
        _condEncoder = nn.Sequential(new Mish(), nn.Linear(condDim, condPredictScale ? 2 * outChannels : outChannels));
        register_module("cond_encoder", _condEncoder);
        if (inChannels != outChannels)
        {
            _residualConv = nn.Conv1d(inChannels, outChannels, 1);
            register_module("residual_conv", _residualConv);
        }
    }

    /// <summary>Input channels C_in.</summary>
    public int InChannels { get; }

    /// <summary>Output channels C_out.</summary>
    public int OutChannels { get; }

    /// <summary>Size of the conditioning vector.</summary>
    public int CondDim { get; }

    /// <summary>Whether FiLM predicts a per-channel scale as well as a bias.</summary>
    public bool CondPredictScale { get; }

    /// <param name="x">(B, C_in, T).</param>
    /// <param name="cond">(B, cond_dim): step embedding concatenated with the observation features.</param>
    /// <returns>(B, C_out, T).</returns>
    public override Tensor forward(Tensor x, Tensor cond)
    {
        if (x.ndim != 3 || x.shape[1] != InChannels)
            throw new ArgumentException($"expected x of shape (B, {InChannels}, T); got ({string.Join(", ", x.shape)})", nameof(x));
        if (cond.ndim != 2 || cond.shape[0] != x.shape[0] || cond.shape[1] != CondDim)
            throw new ArgumentException(
                $"expected cond of shape ({x.shape[0]}, {CondDim}); got ({string.Join(", ", cond.shape)})", nameof(cond));
        long b = x.shape[0];
        var h = _block1.forward(x);                                             // (B, C_out, T)
        var embed = _condEncoder.forward(cond);                                 // (B, 2 C_out) or (B, C_out)
        if (CondPredictScale)
        {
            var film = embed.reshape(b, 2, OutChannels, 1);                     // (B, 2, C_out, 1)
            h = film[.., 0].mul(h).add(film[.., 1], Scalars.One);              // (B, C_out, T)
        }
        else
        {
            h = h.add(embed.unsqueeze(-1), Scalars.One);                        // (B, C_out, T)
        }
        h = _block2.forward(h);                                                 // (B, C_out, T)
        // add(t, One), not +: the operator's implicit alpha would be a temporary Scalar (docs/design.md "Native safety").
        return h.add(_residualConv is null ? x : _residualConv.forward(x), Scalars.One); // (B, C_out, T)
    }
}

public static partial class PolicyNetworks
{
    /// <summary>FiLM-conditioned residual block (two Conv1dBlocks, 1x1 residual when channels change).</summary>
    public static ConditionalResidualBlock1D ConditionalResidualBlock1D(
        int inChannels, int outChannels, int condDim, int kernelSize = 5, int nGroups = 8, bool condPredictScale = true) =>
        new(inChannels, outChannels, condDim, kernelSize, nGroups, condPredictScale);
}
