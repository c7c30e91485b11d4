using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Per-dimension affine map of data onto [-1, 1]: Diffusion Policy's LinearNormalizer in 'limits' mode
/// with fit_offset (real-stanford/diffusion_policy diffusion_policy/model/common/normalizer.py, _fit and
/// _normalize). For each dimension, in float32 as the reference computes it:
///   range = max - min; if range &lt; range_eps the dimension is "ignored": range := 2 (so scale = 1) and
///   offset = (out_max + out_min) / 2 - min, i.e. the constant is only shifted to 0, never scaled;
///   otherwise scale = 2 / range and offset = out_min - scale * min.
///   normalize: y = x * scale + offset;  unnormalize: x = (y - offset) / scale.
/// Immutable; serialised to JSON with the policy checkpoint.
/// </summary>
public sealed class MinMaxNormalizer
{
    /// <summary>Diffusion Policy's output range and range_eps defaults.</summary>
    public const float OutputMin = -1f;
    public const float OutputMax = 1f;
    public const float DefaultRangeEps = 1e-4f;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private readonly float[] scale;
    private readonly float[] offset;
    private readonly float[] inputMin;
    private readonly float[] inputMax;
    private readonly float[] inputMean;
    private readonly float[] inputStd;

    private MinMaxNormalizer(float[] scale, float[] offset, float[] min, float[] max, float[] mean, float[] std, float rangeEps)
    {
        this.scale = scale;
        this.offset = offset;
        inputMin = min;
        inputMax = max;
        inputMean = mean;
        inputStd = std;
        RangeEps = rangeEps;
    }

    /// <summary>Fits to (count, dim) row-major data (e.g. every observation.state of a dataset).</summary>
    public static MinMaxNormalizer Fit(ReadOnlySpan<float> data, int dim, float rangeEps = DefaultRangeEps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (data.Length == 0 || data.Length % dim != 0)
            throw new ArgumentException($"expected a non-empty multiple of dim = {dim} values, received {data.Length}", nameof(data));
        if (!(rangeEps >= 0) || float.IsInfinity(rangeEps))
            throw new ArgumentOutOfRangeException(nameof(rangeEps), rangeEps, "expected a finite non-negative range_eps");
        int count = data.Length / dim;
        var min = new float[dim];
        var max = new float[dim];
        var mean = new float[dim];
        var std = new float[dim];
        for (int d = 0; d < dim; d++)
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            double sum = 0;
            for (int i = 0; i < count; i++)
            {
                float v = data[i * dim + d];
                if (!float.IsFinite(v))
                    throw new ArgumentException($"row {i}, dim {d}: expected a finite value, received {v}", nameof(data));
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
                sum += v;
            }
            double mu = sum / count;
            double squares = 0;
            for (int i = 0; i < count; i++)
                squares += (data[i * dim + d] - mu) * (data[i * dim + d] - mu);
            min[d] = lo;
            max[d] = hi;
            mean[d] = (float)mu;
            // torch.std is the unbiased estimate; a single row has none (torch gives NaN), we store 0.
            std[d] = count > 1 ? (float)Math.Sqrt(squares / (count - 1)) : 0f;
        }

        var scale = new float[dim];
        var offset = new float[dim];
        for (int d = 0; d < dim; d++)
        {
            float range = max[d] - min[d];
            bool ignore = range < rangeEps;
            if (ignore)
                range = OutputMax - OutputMin;
            scale[d] = (OutputMax - OutputMin) / range;
            offset[d] = ignore ? (OutputMax + OutputMin) / 2 - min[d] : OutputMin - scale[d] * min[d];
        }
        return new MinMaxNormalizer(scale, offset, min, max, mean, std, rangeEps);
    }

    public int Dim => scale.Length;

    /// <summary>Ranges below this were only centred, not scaled.</summary>
    public float RangeEps { get; }

    public ReadOnlySpan<float> Scale => scale;
    public ReadOnlySpan<float> Offset => offset;
    public ReadOnlySpan<float> InputMin => inputMin;
    public ReadOnlySpan<float> InputMax => inputMax;
    public ReadOnlySpan<float> InputMean => inputMean;
    public ReadOnlySpan<float> InputStd => inputStd;

    /// <summary>x (..., dim) row-major -> x * scale + offset.</summary>
    public float[] Normalize(ReadOnlySpan<float> x)
    {
        CheckWidth(x.Length);
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            y[i] = x[i] * scale[i % Dim] + offset[i % Dim];
        return y;
    }

    /// <summary>y (..., dim) row-major -> (y - offset) / scale.</summary>
    public float[] Unnormalize(ReadOnlySpan<float> y)
    {
        CheckWidth(y.Length);
        var x = new float[y.Length];
        for (int i = 0; i < y.Length; i++)
            x[i] = (y[i] - offset[i % Dim]) / scale[i % Dim];
        return x;
    }

    /// <summary>x (..., dim) float32 -> x * scale + offset, same shape and device.</summary>
    public Tensor Normalize(Tensor x)
    {
        CheckTensor(x);
        using Tensor s = tensor(scale, device: x.device);   // (dim), broadcast over leading axes
        using Tensor o = tensor(offset, device: x.device);  // (dim)
        return x.mul(s).add_(o);                            // (..., dim)
    }

    /// <summary>y (..., dim) float32 -> (y - offset) / scale, same shape and device.</summary>
    public Tensor Unnormalize(Tensor y)
    {
        CheckTensor(y);
        using Tensor s = tensor(scale, device: y.device);   // (dim)
        using Tensor o = tensor(offset, device: y.device);  // (dim)
        return y.sub(o).div_(s);                            // (..., dim)
    }

    public string ToJson() => JsonSerializer.Serialize(
        new State("min_max", OutputMin, OutputMax, RangeEps, scale, offset, new Stats(inputMin, inputMax, inputMean, inputStd)),
        JsonOptions);

    public static MinMaxNormalizer FromJson(string json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(json);
        State state;
        try
        {
            state = JsonSerializer.Deserialize<State>(json) ?? throw new ArgumentException("normaliser JSON is null", nameof(json));
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"normaliser JSON is malformed: {ex.Message}", nameof(json), ex);
        }
        if (state.Kind != "min_max" || state.OutputMin != OutputMin || state.OutputMax != OutputMax)
            throw new ArgumentException(
                $"expected a min_max normaliser onto [{OutputMin}, {OutputMax}], received kind '{state.Kind}' onto [{state.OutputMin}, {state.OutputMax}]",
                nameof(json));
        float[]? s = state.Scale, o = state.Offset;
        Stats? stats = state.InputStats;
        int dim = s?.Length ?? 0;
        if (dim == 0 || o?.Length != dim || stats?.Min?.Length != dim || stats.Max?.Length != dim
            || stats.Mean?.Length != dim || stats.Std?.Length != dim)
            throw new ArgumentException("normaliser JSON must hold scale, offset and input_stats min/max/mean/std of one equal, non-zero length", nameof(json));
        if (s!.Any(v => !float.IsFinite(v) || v == 0) || o.Any(v => !float.IsFinite(v)))
            throw new ArgumentException("normaliser JSON holds a zero or non-finite scale, or a non-finite offset", nameof(json));
        return new MinMaxNormalizer(s!, o, stats.Min!, stats.Max!, stats.Mean!, stats.Std!, state.RangeEps);
    }

    private void CheckWidth(int length)
    {
        if (length == 0 || length % Dim != 0)
            throw new ArgumentException($"expected a non-empty multiple of dim = {Dim} values, received {length}", "x");
    }

    private void CheckTensor(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() == 0 || x.shape[^1] != Dim)
            throw new ArgumentException($"expected a tensor of shape (..., {Dim}), received ({string.Join(", ", x.shape)})", nameof(x));
        if (x.dtype != ScalarType.Float32)
            throw new ArgumentException($"expected a float32 tensor, received {x.dtype}", nameof(x));
    }

    private sealed record Stats(
        [property: JsonPropertyName("min")] float[]? Min,
        [property: JsonPropertyName("max")] float[]? Max,
        [property: JsonPropertyName("mean")] float[]? Mean,
        [property: JsonPropertyName("std")] float[]? Std);

    private sealed record State(
        [property: JsonPropertyName("kind")] string? Kind,
        [property: JsonPropertyName("output_min")] float OutputMin,
        [property: JsonPropertyName("output_max")] float OutputMax,
        [property: JsonPropertyName("range_eps")] float RangeEps,
        [property: JsonPropertyName("scale")] float[]? Scale,
        [property: JsonPropertyName("offset")] float[]? Offset,
        [property: JsonPropertyName("input_stats")] Stats? InputStats);
}
