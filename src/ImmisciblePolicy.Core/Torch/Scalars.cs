using TorchSharp;

namespace ImmisciblePolicy.Core.Torch;

/// <summary>
/// TorchSharp <see cref="Scalar"/>s that live as long as the process, for the constants of our tensor code.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 hands a Scalar to libtorch as its raw native handle (<c>scalar.Handle</c>) and keeps no
/// reference to it during the call. A temporary Scalar, such as the implicit conversion in <c>t * 0.5</c> or the
/// <c>alpha = 1</c> that <c>Tensor.add(Tensor)</c> creates (dotnet/TorchSharp src/TorchSharp/Tensor/Tensor.Math.cs,
/// <c>add(Tensor target) =&gt; add(target, 1)</c>), is therefore unreachable while libtorch still reads it, and a
/// collection triggered by another thread can run its finalizer (<c>THSTorch_dispose_scalar</c>) mid-call. The
/// rule on training and planning paths (docs/design.md "Native safety"): pass a Scalar held by a static field (these)
/// or by a <c>using var s = value.ToScalar();</c> local that outlives the call; never an implicit conversion, and never
/// a TorchSharp overload that makes one inside (<c>add(Tensor)</c>, <c>square()</c>, <c>linalg.vector_norm</c>,
/// <c>nn.functional.softplus</c>/<c>mish</c>, <c>arange(stop)</c>). The Robotics and Images test suites scan the
/// IL of those paths for violations.
/// </remarks>
public static class Scalars
{
    /// <summary>Integer 0 (as <c>Scalar(0)</c>; integral, so valid for integer tensors too).</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>Integer 1: the <c>alpha</c> of a plain <c>add</c>, exactly what TorchSharp's <c>add(Tensor)</c> passes.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>Integer 2: the exponent of <c>square()</c> (<c>pow(2)</c>).</summary>
    public static readonly Scalar Two = 2.ToScalar();
}
