using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Training;

/// <summary>
/// Exponential moving average of a model's weights with warm-up, following diffusion_policy's EMAModel
/// (real-stanford/diffusion_policy, model/diffusion/ema_model.py, get_decay and step). The averaged copy is
/// the network evaluated and checkpointed; the online network is the one the optimiser updates.
/// </summary>
/// <remarks>
/// Rules per parameter, as in the reference: parameters of BatchNorm modules and parameters that do not
/// require grad are copied; all others move as ema = decay * ema + (1 - decay) * online. GroupNorm/LayerNorm
/// affine parameters are ordinary trainable parameters and are averaged. One deliberate difference: buffers
/// (e.g. BatchNorm running statistics) are copied on every step; the reference never touches them, so its
/// averaged copy keeps the buffers of the step it was created at. The U-Nets here have no buffers.
/// Not thread-safe: owned by one trainer loop.
/// </remarks>
public sealed class EmaModel
{
    private readonly EmaConfig _config;

    /// <param name="averaged">
    /// the shadow network: same architecture as the online one and initialised from it (the reference
    /// deep-copies the model). It is switched to eval mode and its parameters stop requiring grad.
    /// </param>
    /// <param name="config">warm-up settings.</param>
    public EmaModel(nn.Module averaged, EmaConfig config)
    {
        ArgumentNullException.ThrowIfNull(averaged);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        Averaged = averaged;
        Averaged.eval();
        foreach (var p in Averaged.parameters()) p.requires_grad = false;
    }

    /// <summary>The averaged network.</summary>
    public nn.Module Averaged { get; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long OptimizationStep { get; private set; }

    /// <summary>Decay used by the most recent <see cref="Step"/>.</summary>
    public double CurrentDecay { get; private set; }

    /// <summary>
    /// The decay applied at the <paramref name="optimizationStep"/>-th update (0-based), EMAModel.get_decay:
    /// s = max(0, optimizationStep - update_after_step - 1); 0 when s = 0, otherwise
    /// clamp(1 - (1 + s / inv_gamma)^-power, min, max). The "- 1" makes both the first and the second update
    /// plain copies.
    /// </summary>
    public static double Decay(long optimizationStep, EmaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegative(optimizationStep);
        long step = Math.Max(0, optimizationStep - config.UpdateAfterStep - 1);
        if (step <= 0) return 0.0;
        double value = 1.0 - Math.Pow(1.0 + step / config.InvGamma, -config.Power);
        return Math.Max(config.MinValue, Math.Min(value, config.MaxValue));
    }

    /// <summary>Sets the update count after the averaged weights were restored from a checkpoint.</summary>
    public void Restore(long optimizationStep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(optimizationStep);
        OptimizationStep = optimizationStep;
    }

    /// <summary>Moves the averaged weights toward <paramref name="online"/>'s and advances the step count.</summary>
    /// <exception cref="ArgumentException">the two networks' parameter names or shapes differ.</exception>
    public void Step(nn.Module online)
    {
        ArgumentNullException.ThrowIfNull(online);
        double decay = Decay(OptimizationStep, _config);
        var layout = LayoutFor(online);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Held for the whole loop: an implicit double -> Scalar here would be a temporary that a collection on
        // another thread can finalize mid-call (docs/design.md "Native safety").
        using var decayScalar = decay.ToScalar();
        using var rest = (1.0 - decay).ToScalar();
        foreach (var (param, ema, copyOnly) in layout.Parameters)
        {
            if (copyOnly || !param.requires_grad)
                ema.copy_(param.to(ema.dtype));                           // copied, not averaged
            else
                ema.mul_(decayScalar).add_(param.to(ema.dtype), rest);    // decay * ema + (1 - decay) * online
        }
        foreach (var (buffer, ema) in layout.Buffers)
            ema.copy_(buffer.to(ema.dtype));

        CurrentDecay = decay;
        OptimizationStep++;
    }

    /// <summary>
    /// The parameter/buffer pairing of <paramref name="online"/> and the averaged copy, checked once and kept:
    /// walking the module tree by name on every step costs more than the update itself on small networks.
    /// </summary>
    private Layout LayoutFor(nn.Module online)
    {
        if (_layout is { } cached && ReferenceEquals(cached.Online, online)) return cached;
        var onlineParams = online.named_parameters().ToList();
        var averagedParams = Averaged.named_parameters().ToList();
        CheckSameLayout(onlineParams.Select(p => (p.name, (Tensor)p.parameter)).ToList(),
            averagedParams.Select(p => (p.name, (Tensor)p.parameter)).ToList(), "parameters");
        var onlineBuffers = online.named_buffers().ToList();
        var averagedBuffers = Averaged.named_buffers().ToList();
        CheckSameLayout(onlineBuffers, averagedBuffers, "buffers");
        var modules = online.named_modules().ToDictionary(m => m.name, m => m.module);
        var pairs = new List<(Tensor, Tensor, bool)>();
        for (int i = 0; i < onlineParams.Count; i++)
        {
            var (name, param) = onlineParams[i];
            int dot = name.LastIndexOf('.');
            var owner = dot < 0 ? online : modules.GetValueOrDefault(name[..dot]);
            pairs.Add((param, averagedParams[i].parameter, owner is BatchNorm));
        }
        var buffers = onlineBuffers.Select((b, i) => (b.buffer, averagedBuffers[i].buffer)).ToList();
        _layout = new Layout(online, pairs, buffers);
        return _layout;
    }

    private Layout? _layout;

    private sealed record Layout(nn.Module Online, List<(Tensor Param, Tensor Ema, bool CopyOnly)> Parameters, List<(Tensor Buffer, Tensor Ema)> Buffers);

    private static void CheckSameLayout(
        IReadOnlyList<(string name, Tensor tensor)> online, IReadOnlyList<(string name, Tensor tensor)> averaged, string kind)
    {
        if (online.Count != averaged.Count)
            throw new ArgumentException(
                $"online network has {online.Count} {kind} but the averaged copy has {averaged.Count}", "online");
        for (int i = 0; i < online.Count; i++)
        {
            if (online[i].name != averaged[i].name || !online[i].tensor.shape.SequenceEqual(averaged[i].tensor.shape))
                throw new ArgumentException(
                    $"{kind} differ at index {i}: online '{online[i].name}' ({string.Join(", ", online[i].tensor.shape)}) vs " +
                    $"averaged '{averaged[i].name}' ({string.Join(", ", averaged[i].tensor.shape)})", "online");
        }
    }
}
