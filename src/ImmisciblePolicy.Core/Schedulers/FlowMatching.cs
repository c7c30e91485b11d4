using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// Rectified flow / conditional flow matching with the straight path (Liu et al. 2023; Lipman et al. 2023):
/// x_t = (1 - t) x0 + t eps for t in [0, 1], so t = 0 is data and t = 1 is noise, and the regression target is the
/// constant velocity dx_t/dt = eps - x0. Sampling integrates dx/dt = v(x, t) from t = 1 down to t = 0 on the uniform
/// grid t_k = 1 - k / N. This is the convention of Stable Diffusion 3 / diffusers' FlowMatchEulerDiscreteScheduler
/// (sigma = t). Immutable and stateless, so one instance may serve concurrent callers.
/// </summary>
public sealed class FlowMatching
{
    /// <summary>Builds the flow; throws <see cref="ArgumentException"/> if <paramref name="config"/> is invalid.</summary>
    public FlowMatching(FlowMatchingConfig? config = null)
    {
        config ??= new FlowMatchingConfig();
        config.Validate();
        Config = config;
    }

    /// <summary>Time law of training.</summary>
    public FlowMatchingConfig Config { get; }

    /// <summary>
    /// Training times t, shape (B), float32 in [0, 1): U[0, 1) or sigmoid(m + s n) per <see cref="FlowMatchingConfig.TimeSampling"/>,
    /// every draw from <paramref name="generator"/>.
    /// </summary>
    public Tensor SampleTimes(long batchSize, Generator? generator, Device? device = null)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"{nameof(batchSize)} must be at least 1; received {batchSize}");
        using var scope = NewDisposeScope();
        // Scalars held across the native calls, never implicit temporaries (docs/design.md "Native safety").
        using var std = Config.LogitNormalStd.ToScalar();
        using var mean = Config.LogitNormalMean.ToScalar();
        var t = Config.TimeSampling switch // (B)
        {
            FlowTimeSampling.Uniform => rand(new[] { batchSize }, dtype: ScalarType.Float32, device: device, generator: generator),
            FlowTimeSampling.LogitNormal => sigmoid(
                randn(new[] { batchSize }, dtype: ScalarType.Float32, device: device, generator: generator)
                    .mul(std).add(mean, Scalars.One)),
            _ => throw new InvalidOperationException($"unknown time sampling {Config.TimeSampling}"),
        };
        return t.MoveToOuterDisposeScope();
    }

    /// <summary>x_t = (1 - t) x0 + t eps. Shapes: original, noise (B, ...); t (B) with values in [0, 1].</summary>
    public Tensor Interpolate(Tensor original, Tensor noise, Tensor t)
    {
        DiffusionSchedule.ValidateSamplePair(original, nameof(original), noise, nameof(noise));
        using var scope = NewDisposeScope();
        var tb = BroadcastTime(t, original, nameof(t)); // (B, 1, ..., 1)
        return original.mul(tb.neg().add(Scalars.One, Scalars.One)).add(noise.mul(tb), Scalars.One).MoveToOuterDisposeScope(); // (B, ...)
    }

    /// <summary>The regression target v = eps - x0 (the time derivative of <see cref="Interpolate"/>). Shapes (B, ...).</summary>
    public Tensor VelocityTarget(Tensor original, Tensor noise)
    {
        DiffusionSchedule.ValidateSamplePair(original, nameof(original), noise, nameof(noise));
        return noise.sub(original);
    }

    /// <summary>Integrates with explicit Euler from t = 1 to t = 0 in <paramref name="numSteps"/> steps.</summary>
    public Tensor SampleEuler(Func<Tensor, Tensor, Tensor> velocity, Tensor noise, int numSteps) =>
        Sample(velocity, noise, numSteps, FlowOdeSolver.Euler);

    /// <summary>Integrates with Heun's method from t = 1 to t = 0 in <paramref name="numSteps"/> steps (2 evaluations each).</summary>
    public Tensor SampleHeun(Func<Tensor, Tensor, Tensor> velocity, Tensor noise, int numSteps) =>
        Sample(velocity, noise, numSteps, FlowOdeSolver.Heun);

    /// <summary>
    /// Solves dx/dt = v(x, t) from x(1) = <paramref name="noise"/> to t = 0 on t_k = 1 - k / N.
    /// </summary>
    /// <param name="velocity">the model (x_t (B, ...), t (B) in noise's dtype) -> v (B, ...).</param>
    /// <param name="noise">starting point x(1), (B, ...), floating point.</param>
    /// <param name="numSteps">N &gt;= 1.</param>
    /// <param name="solver">Euler or Heun.</param>
    /// <remarks>Runs each step in its own dispose scope; the caller decides on no_grad / inference_mode.</remarks>
    public Tensor Sample(Func<Tensor, Tensor, Tensor> velocity, Tensor noise, int numSteps, FlowOdeSolver solver)
    {
        ArgumentNullException.ThrowIfNull(velocity);
        ArgumentNullException.ThrowIfNull(noise);
        if (!noise.is_floating_point())
            throw new ArgumentException($"{nameof(noise)} must be a floating-point tensor; received dtype {noise.dtype}", nameof(noise));
        if (noise.dim() < 1)
            throw new ArgumentException($"{nameof(noise)} must have a batch dimension (B, ...); received a 0-d tensor", nameof(noise));
        if (numSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(numSteps), numSteps, $"{nameof(numSteps)} must be at least 1; received {numSteps}");
        if (!Enum.IsDefined(solver))
            throw new ArgumentOutOfRangeException(nameof(solver), solver, $"unknown {nameof(solver)} {solver}");

        var x = noise;
        for (int k = 0; k < numSteps; k++)
        {
            double t = (double)(numSteps - k) / numSteps;
            double tNext = (double)(numSteps - k - 1) / numSteps;
            double dt = tNext - t; // negative: we run time backwards
            Tensor next;
            using (var scope = NewDisposeScope())
            {
                using var step = dt.ToScalar();
                using var halfStep = (0.5 * dt).ToScalar();
                var v = Evaluate(velocity, x, t); // (B, ...)
                var euler = x.add(v.mul(step), Scalars.One); // (B, ...)
                next = solver == FlowOdeSolver.Euler
                    ? euler
                    : x.add(v.add(Evaluate(velocity, euler, tNext), Scalars.One).mul(halfStep), Scalars.One); // trapezoid on both slopes
                next = next.MoveToOuterDisposeScope();
            }
            if (!ReferenceEquals(x, noise)) x.Dispose();
            x = next;
        }
        return x; // numSteps >= 1, so x is a new tensor in the caller's scope, never the input
    }

    private static Tensor Evaluate(Func<Tensor, Tensor, Tensor> velocity, Tensor x, double t)
    {
        using var time = t.ToScalar();
        var times = full(new[] { x.shape[0] }, time, dtype: x.dtype, device: x.device); // (B)
        var v = velocity(x, times)
            ?? throw new InvalidOperationException("the velocity model returned null");
        if (!v.shape.SequenceEqual(x.shape))
            throw new InvalidOperationException(
                $"the velocity model must return the shape of x_t, [{string.Join(", ", x.shape)}]; returned [{string.Join(", ", v.shape)}] at t = {t}");
        return v;
    }

    private static Tensor BroadcastTime(Tensor t, Tensor like, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (!t.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor; received dtype {t.dtype}", name);
        if (t.dim() != 1 || t.shape[0] != like.shape[0])
            throw new ArgumentException($"{name} must have shape [{like.shape[0]}]; received [{string.Join(", ", t.shape)}]", name);
        double min = t.min().to_type(ScalarType.Float64).item<double>(), max = t.max().to_type(ScalarType.Float64).item<double>();
        if (!(min >= 0 && max <= 1))
            throw new ArgumentOutOfRangeException(name, $"[{min}, {max}]", $"{name} must lie in [0, 1]; received values in [{min}, {max}]");
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = like.shape[0];
        return t.to(like.dtype).reshape(shape);
    }
}
