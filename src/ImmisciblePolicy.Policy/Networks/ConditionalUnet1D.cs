using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// The 1-D temporal U-Net denoiser of Diffusion Policy (Chi et al. 2023), following
/// real-stanford/diffusion_policy model/diffusion/conditional_unet1d.py (ConditionalUnet1D) with
/// global conditioning only (no local_cond encoder, as the low-dim Push-T config uses obs_as_global_cond).
/// Convolutions run over time: an action chunk (B, T, Da) is treated as Da channels of length T.
/// </summary>
/// <remarks>
/// Layout for levels d_0..d_{L-1}:
/// down level i: ResBlock(d_{i-1} -> d_i), ResBlock(d_i -> d_i), Downsample (none on the last level);
/// mid: two ResBlock(d_{L-1}); up level j (j = 0..L-2, over (d_in, d_out) = (d_{L-2-j}, d_{L-1-j})):
/// ResBlock(2 d_out -> d_in), ResBlock(d_in -> d_in), Upsample; final: Conv1dBlock(d_0) -> Conv1d(d_0, Da, 1).
/// Every down level pushes its output before downsampling, but only L-1 up levels pop, so the first level's
/// full-resolution output is pushed and never consumed, exactly as in the reference.
/// Parameter names match the reference state dict (mid_modules, diffusion_step_encoder, up_modules,
/// down_modules, final_conv, registered in that order).
/// </remarks>
public sealed class ConditionalUnet1D : nn.Module<Tensor, Tensor, Tensor, Tensor>, IDenoiser
{
    private readonly Sequential _stepEncoder;
    private readonly (ConditionalResidualBlock1D First, ConditionalResidualBlock1D Second, Downsample1d? Down)[] _down;
    private readonly ConditionalResidualBlock1D[] _mid;
    private readonly (ConditionalResidualBlock1D First, ConditionalResidualBlock1D Second, Upsample1d Up)[] _up;
    private readonly Sequential _finalConv;

    internal ConditionalUnet1D(UnetConfig config) : base(nameof(ConditionalUnet1D))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int dsed = config.DiffusionStepEmbedDim;
        int condDim = dsed + config.GlobalCondDim;           // FiLM input: [step embedding, flattened obs window]
        int k = config.KernelSize, g = config.NGroups;
        bool scale = config.CondPredictScale;
        var dims = new[] { config.InputDim }.Concat(config.DownDims).ToArray();
        var inOut = Enumerable.Range(0, config.Levels).Select(i => (In: dims[i], Out: dims[i + 1])).ToArray();
        int midDim = dims[^1];

        _mid =
        [
            new ConditionalResidualBlock1D(midDim, midDim, condDim, k, g, scale),
            new ConditionalResidualBlock1D(midDim, midDim, condDim, k, g, scale),
        ];

        _stepEncoder = nn.Sequential(
            new SinusoidalPosEmb(dsed),
            nn.Linear(dsed, 4 * dsed),
            new Mish(),
            nn.Linear(4 * dsed, dsed));

        _down = new (ConditionalResidualBlock1D, ConditionalResidualBlock1D, Downsample1d?)[inOut.Length];
        for (int i = 0; i < inOut.Length; i++)
        {
            bool isLast = i == inOut.Length - 1;
            _down[i] = (
                new ConditionalResidualBlock1D(inOut[i].In, inOut[i].Out, condDim, k, g, scale),
                new ConditionalResidualBlock1D(inOut[i].Out, inOut[i].Out, condDim, k, g, scale),
                isLast ? null : new Downsample1d(inOut[i].Out));
        }

        // reversed(in_out[1:]): every up level ends with an Upsample (the reference's is_last test,
        // ind >= len(in_out) - 1, is never true over len(in_out) - 1 entries), matching the L-1 downsamples.
        var upPairs = inOut.Skip(1).Reverse().ToArray();
        _up = new (ConditionalResidualBlock1D, ConditionalResidualBlock1D, Upsample1d)[upPairs.Length];
        for (int j = 0; j < upPairs.Length; j++)
        {
            var (dIn, dOut) = upPairs[j];
            _up[j] = (
                new ConditionalResidualBlock1D(2 * dOut, dIn, condDim, k, g, scale), // input: [x, skip] concatenated
                new ConditionalResidualBlock1D(dIn, dIn, condDim, k, g, scale),
                new Upsample1d(dIn));
        }

        // The reference builds this block with Conv1dBlock's default n_groups = 8, equal to NGroups in every
        // published config; we use NGroups so a non-default setting stays consistent.
        _finalConv = nn.Sequential(
            new Conv1dBlock(dims[1], dims[1], k, g),
            nn.Conv1d(dims[1], config.InputDim, 1));

        register_module("mid_modules", nn.ModuleList<ConditionalResidualBlock1D>(_mid));
        register_module("diffusion_step_encoder", _stepEncoder);
        register_module("up_modules", nn.ModuleList(_up.Select(u => (nn.Module)nn.ModuleList<nn.Module>(u.First, u.Second, u.Up)).ToArray()));
        register_module("down_modules", nn.ModuleList(_down.Select(d => (nn.Module)(d.Down is null
            ? nn.ModuleList<nn.Module>(d.First, d.Second)
            : nn.ModuleList<nn.Module>(d.First, d.Second, d.Down))).ToArray()));
        register_module("final_conv", _finalConv);
    }

    /// <summary>The architecture this network was built from.</summary>
    public UnetConfig Config { get; }

    /// <summary>The last layer, Conv1d(d_0, Da, 1); exposed so callers and tests can zero-initialise it.</summary>
    public Conv1d FinalProjection => (Conv1d)_finalConv.children().Last();

    /// <summary>Total number of parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <inheritdoc/>
    public PolicyEngine Engine => PolicyEngine.Torch;

    /// <param name="sample">noisy action chunk (B, T, Da); T a multiple of 2^(levels-1).</param>
    /// <param name="timesteps">diffusion steps, int64 or float: (B), (1) or a scalar broadcast to B.</param>
    /// <param name="globalCond">flattened observation window (B, GlobalCondDim).</param>
    /// <returns>model output (B, T, Da) (noise, sample or v, per the scheduler's prediction type).</returns>
    public override Tensor forward(Tensor sample, Tensor timesteps, Tensor globalCond)
    {
        if (sample.ndim != 3 || sample.shape[2] != Config.InputDim)
            throw new ArgumentException(
                $"expected sample of shape (B, T, {Config.InputDim}); got ({string.Join(", ", sample.shape)})", nameof(sample));
        long b = sample.shape[0], horizon = sample.shape[1];
        if (horizon < 1 || horizon % Config.HorizonMultiple != 0)
            throw new ArgumentException(
                $"sample horizon T must be a positive multiple of 2^(levels-1) = {Config.HorizonMultiple}; got T={horizon}", nameof(sample));
        if (timesteps.ndim > 1 || (timesteps.ndim == 1 && timesteps.shape[0] != b && timesteps.shape[0] != 1))
            throw new ArgumentException(
                $"expected timesteps of shape ({b}), (1) or a scalar; got ({string.Join(", ", timesteps.shape)})", nameof(timesteps));
        if (globalCond.ndim != 2 || globalCond.shape[0] != b || globalCond.shape[1] != Config.GlobalCondDim)
            throw new ArgumentException(
                $"expected globalCond of shape ({b}, {Config.GlobalCondDim}); got ({string.Join(", ", globalCond.shape)})", nameof(globalCond));

        var steps = timesteps.reshape(-1).expand(b);                            // (B)
        var stepFeature = _stepEncoder.forward(steps);                          // (B, dsed)
        var cond = cat([stepFeature, globalCond.to(stepFeature.dtype)], dim: -1); // (B, dsed + G)

        var x = sample.transpose(1, 2);                                         // (B, Da, T)
        var skips = new Stack<Tensor>();
        foreach (var (first, second, down) in _down)
        {
            x = second.forward(first.forward(x, cond), cond);                   // (B, d_i, T_i)
            skips.Push(x);
            if (down is not null) x = down.forward(x);                          // (B, d_i, T_i / 2)
        }

        foreach (var block in _mid)
            x = block.forward(x, cond);                                         // (B, d_{L-1}, T / 2^(L-1))

        foreach (var (first, second, up) in _up)
        {
            x = cat([x, skips.Pop()], dim: 1);                                  // (B, 2 d_out, T_j)
            x = second.forward(first.forward(x, cond), cond);                   // (B, d_in, T_j)
            x = up.forward(x);                                                  // (B, d_in, 2 T_j)
        }
        // skips now holds exactly the first level's full-resolution output, unused as in the reference.

        x = _finalConv.forward(x);                                              // (B, Da, T)
        return x.transpose(1, 2);                                               // (B, T, Da)
    }
}

public static partial class PolicyNetworks
{
    /// <summary>Builds the Diffusion Policy 1-D U-Net for <paramref name="config"/> (validated).</summary>
    public static ConditionalUnet1D ConditionalUnet1D(UnetConfig config) => new(config);
}
