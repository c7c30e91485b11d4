using System.Runtime.CompilerServices;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks;

/// <summary>
/// Mish (Misra 2019), x tanh(softplus(x)), the activation of diffusion_policy's Conv1dBlock, FiLM encoder and
/// step MLP. It computes exactly what TorchSharp's <c>nn.Mish</c> computes (softplus with beta 1 and threshold 20,
/// tanh, product: dotnet/TorchSharp src/TorchSharp/NN/Activation/Mish.cs, <c>functional.mish</c>), but passes
/// libtorch Scalars that stay alive: TorchSharp's <c>Tensor.softplus(double, double)</c> converts both arguments to
/// temporary Scalars that a collection on another thread can finalize mid-call (docs/design.md "Native safety").
/// </summary>
public sealed class Mish : nn.Module<Tensor, Tensor>
{
    private static readonly Scalar Beta = 1.0.ToScalar();       // softplus beta, PyTorch's default
    private static readonly Scalar Threshold = 20.0.ToScalar(); // softplus threshold: linear above beta x = 20

    internal Mish() : base(nameof(Mish))
    {
    }

    /// <param name="x">any shape.</param>
    /// <returns>x tanh(softplus(x)), same shape.</returns>
    public override Tensor forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var softplus = Softplus(x, Beta, Threshold);
        using var gate = softplus.tanh();
        return x.mul(gate);
    }

    /// <summary>
    /// TorchSharp's private <c>Tensor.softplus1(Scalar beta, Scalar threshold)</c> (src/TorchSharp/Tensor/Tensor.cs), the
    /// native call behind the public double overload, reached without reflection so that our held Scalars are passed.
    /// A TorchSharp upgrade that renames it fails here with <see cref="MissingMethodException"/> (the Policy tests call it).
    /// </summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "softplus1")]
    private static extern Tensor Softplus(Tensor input, Scalar beta, Scalar threshold);
}

public static partial class PolicyNetworks
{
    /// <summary>Mish activation with held Scalars (use instead of <c>nn.Mish()</c>).</summary>
    public static Mish Mish() => new();
}
