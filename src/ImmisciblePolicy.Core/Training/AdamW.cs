using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter 2019) as TorchSharp 0.107 implements it, with a step that keeps every Scalar it
/// hands to libtorch alive for the whole call.
/// </summary>
/// <remarks>
/// TorchSharp's own <c>AdamW.step</c> (dotnet/TorchSharp src/TorchSharp/Optimizers/AdamW.cs) passes about seven
/// implicitly converted <c>double</c>s per parameter per step (<c>mul_(beta1)</c>, <c>add_(grad, alpha: 1 - beta1)</c>,
/// <c>/ Math.Sqrt(bias_correction2)</c>, ...), each a temporary <see cref="Scalar"/> that another thread's garbage
/// collection can finalize while libtorch reads it (docs/design.md "Native safety"). This subclass replaces only
/// <see cref="step"/>: the same operations in the same order on the same values (so the parameters and moments are
/// bit-identical to TorchSharp's, which a test checks over hundreds of steps), with Scalars held by <c>using</c>
/// locals. Parameter groups, state and <c>save_state_dict</c>/<c>load_state_dict</c> are the base class's, so
/// optimizer.bin files stay interchangeable. The update per parameter p with gradient g, step t (PyTorch's
/// <c>_single_tensor_adamw</c>): p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). amsgrad and maximize are not supported.
/// </remarks>
public sealed class AdamW : TorchSharp.Modules.AdamW
{
    /// <param name="parameters">the parameters to optimise (one group).</param>
    /// <param name="lr">learning rate.</param>
    /// <param name="beta1">first-moment decay.</param>
    /// <param name="beta2">second-moment decay.</param>
    /// <param name="eps">denominator epsilon.</param>
    /// <param name="weightDecay">decoupled weight decay.</param>
    public AdamW(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(parameters, lr, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>One AdamW update of every parameter that has a gradient. <paramref name="closure"/> must be null.</summary>
    /// <returns>null (there is no closure loss).</returns>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure is not null)
            throw new NotSupportedException("this AdamW does not re-evaluate a closure; compute the loss and call backward() before step()");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            if (options.amsgrad == true || options.maximize == true)
                throw new NotSupportedException($"amsgrad ({options.amsgrad}) and maximize ({options.maximize}) are not supported");
            double lr = options.LearningRate!.Value, beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
            double eps = options.eps!.Value, weightDecay = options.weight_decay!.Value;
            using var decayFactor = (1 - lr * weightDecay).ToScalar();
            using var beta1Scalar = beta1.ToScalar();
            using var oneMinusBeta1 = (1 - beta1).ToScalar();
            using var beta2Scalar = beta2.ToScalar();
            using var oneMinusBeta2 = (1 - beta2).ToScalar();
            using var epsScalar = eps.ToScalar();
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                param.mul_(decayFactor);                                                    // decoupled weight decay
                double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                double biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);                 // m
                state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);    // v
                using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
                using var negativeStepSize = (-(lr / biasCorrection1)).ToScalar();
                var denom = state.exp_avg_sq.sqrt().div_(sqrtBiasCorrection2).add_(epsScalar, Scalars.One); // sqrt(v_hat) + eps, like p; add_(s) alone makes a temporary alpha
                param.addcdiv_(state.exp_avg, denom, negativeStepSize);
            }
        }
        return null!;
    }
}
