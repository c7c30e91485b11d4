using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy.Data;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class MinMaxNormalizerTests
{
    // Three dimensions: a ranged one {0, 2, 4}, a constant one {5}, and one whose range (about 5e-5)
    // is below range_eps = 1e-4.
    private static readonly float[] Data =
    [
        0f, 5f, 10f,
        2f, 5f, 10.00005f,
        4f, 5f, 10f,
    ];

    [Fact]
    public void Fit_GivesLinearNormalizerLimitsScaleAndOffset()
    {
        MinMaxNormalizer normalizer = MinMaxNormalizer.Fit(Data, dim: 3);

        // Ranged: scale = 2 / (4 - 0), offset = -1 - scale * 0. Narrow ranges: scale 1, offset 0 - min.
        Assert.Equal(new[] { 0.5f, 1f, 1f }, normalizer.Scale.ToArray());
        Assert.Equal(new[] { -1f, -5f, -10f }, normalizer.Offset.ToArray());
        Assert.Equal(new[] { 0f, 5f, 10f }, normalizer.InputMin.ToArray());
        Assert.Equal(new[] { 4f, 5f, 10.00005f }, normalizer.InputMax.ToArray());
        Assert.Equal(2f, normalizer.InputMean[0]);
        Assert.Equal(2f, normalizer.InputStd[0]);  // unbiased: sqrt((4 + 0 + 4) / 2)
        Assert.Equal(0f, normalizer.InputStd[1]);
    }

    [Fact]
    public void Normalize_MapsRangeOntoMinusOneOne_AndOnlyCentresNarrowDimensions()
    {
        MinMaxNormalizer normalizer = MinMaxNormalizer.Fit(Data, dim: 3);

        float[] y = normalizer.Normalize([0f, 5f, 10f, 1f, 6f, 11f, 4f, 4f, 9f]);

        Assert.Equal(new[] { -1f, 0f, 0f, -0.5f, 1f, 1f, 1f, -1f, -1f }, y);
    }

    [Fact]
    public void Unnormalize_InvertsNormalize()
    {
        var random = new Random(3);
        float[] data = [.. Enumerable.Range(0, 200).Select(_ => (float)(random.NextDouble() * 512))];
        MinMaxNormalizer normalizer = MinMaxNormalizer.Fit(data, dim: 2);

        float[] normalized = normalizer.Normalize(data);
        float[] back = normalizer.Unnormalize(normalized);

        Assert.All(normalized, v => Assert.InRange(v, -1f - 1e-6f, 1f + 1e-6f));
        Assert.Equal(-1f, normalized.Where((_, i) => i % 2 == 0).Min(), 6);
        Assert.Equal(1f, normalized.Where((_, i) => i % 2 == 0).Max(), 6);
        for (int i = 0; i < data.Length; i++)
            Assert.Equal(data[i], back[i], 3);
    }

    [Fact]
    public void TensorNormalize_MatchesArrayNormalize_OnShapeBatchTimeDim()
    {
        TorchRuntime.Configure(1);
        MinMaxNormalizer normalizer = MinMaxNormalizer.Fit(Data, dim: 3);
        float[] x = [.. Enumerable.Range(0, 2 * 4 * 3).Select(i => i * 0.25f)];
        using var scope = NewDisposeScope();

        Tensor input = tensor(x).reshape(2, 4, 3);            // (B, T, dim)
        Tensor normalized = normalizer.Normalize(input);       // (B, T, dim)
        Tensor back = normalizer.Unnormalize(normalized);      // (B, T, dim)

        Assert.Equal(new long[] { 2, 4, 3 }, normalized.shape);
        Assert.Equal(normalizer.Normalize(x), normalized.data<float>().ToArray());
        Assert.Equal(normalizer.Unnormalize(normalizer.Normalize(x)), back.data<float>().ToArray());
    }

    [Fact]
    public void TensorNormalize_WithWrongLastDimension_NamesTheShape()
    {
        MinMaxNormalizer normalizer = MinMaxNormalizer.Fit(Data, dim: 3);
        using var scope = NewDisposeScope();

        var error = Assert.Throws<ArgumentException>(() => normalizer.Normalize(zeros(4, 2)));

        Assert.Contains("expected a tensor of shape (..., 3), received (4, 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_RoundTrip_PreservesEveryParameterBitForBit()
    {
        var random = new Random(11);
        float[] data = [.. Enumerable.Range(0, 60).Select(_ => (float)(random.NextDouble() * 3 - 1))];
        MinMaxNormalizer original = MinMaxNormalizer.Fit(data, dim: 3);

        MinMaxNormalizer restored = MinMaxNormalizer.FromJson(original.ToJson());

        Assert.Equal(original.Scale.ToArray(), restored.Scale.ToArray());
        Assert.Equal(original.Offset.ToArray(), restored.Offset.ToArray());
        Assert.Equal(original.InputMin.ToArray(), restored.InputMin.ToArray());
        Assert.Equal(original.InputMax.ToArray(), restored.InputMax.ToArray());
        Assert.Equal(original.InputMean.ToArray(), restored.InputMean.ToArray());
        Assert.Equal(original.InputStd.ToArray(), restored.InputStd.ToArray());
        Assert.Equal(original.RangeEps, restored.RangeEps);
        Assert.Equal(original.Normalize(data), restored.Normalize(data));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"kind":"gaussian","output_min":-1,"output_max":1,"range_eps":0.0001,"scale":[1],"offset":[0],"input_stats":{"min":[0],"max":[1],"mean":[0],"std":[1]}}""")]
    [InlineData("""{"kind":"min_max","output_min":-1,"output_max":1,"range_eps":0.0001,"scale":[1,2],"offset":[0],"input_stats":{"min":[0],"max":[1],"mean":[0],"std":[1]}}""")]
    [InlineData("""{"kind":"min_max","output_min":-1,"output_max":1,"range_eps":0.0001,"scale":[0],"offset":[0],"input_stats":{"min":[0],"max":[1],"mean":[0],"std":[1]}}""")]
    public void FromJson_RejectsMalformedOrInconsistentState(string json)
    {
        Assert.Throws<ArgumentException>(() => MinMaxNormalizer.FromJson(json));
    }

    [Fact]
    public void Fit_RejectsNaN_NamingRowAndDimension()
    {
        var error = Assert.Throws<ArgumentException>(() => MinMaxNormalizer.Fit([1f, 2f, float.NaN, 4f], dim: 2));

        Assert.Contains("row 1, dim 0", error.Message, StringComparison.Ordinal);
    }
}
