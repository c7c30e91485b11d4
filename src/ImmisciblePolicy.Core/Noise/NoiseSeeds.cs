using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Noise;

/// <summary>
/// One seed per row of a sampling batch: row b draws every random tensor of its sampling chain (a_T, then each
/// step's variance noise) from its own <c>Generator(seed_b)</c>, with the shape a batch of one would use
/// (1, ...). A row's sample is therefore the same whether it is planned alone or batched with any other rows,
/// which is what lets a server batch requests that each carry their own seed.
/// </summary>
/// <remarks>
/// The draws of a batch of one are <c>randn((1, ...), generator)</c> in the order the sampler makes them;
/// <see cref="Randn"/> makes the same draw per row and stacks the rows. Not thread-safe (the generators advance);
/// dispose it after the chain.
/// </remarks>
public sealed class NoiseSeeds : IDisposable
{
    private readonly Generator[] _generators;

    /// <param name="seeds">one seed per batch row, at least one.</param>
    public NoiseSeeds(IReadOnlyList<long> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0) throw new ArgumentException("expected one seed per batch row; got none", nameof(seeds));
        Seeds = [.. seeds];
        _generators = Seeds.Select(s => new Generator(unchecked((ulong)s))).ToArray();
    }

    /// <summary>The seeds, one per row.</summary>
    public IReadOnlyList<long> Seeds { get; }

    /// <summary>Rows B.</summary>
    public int Count => _generators.Length;

    /// <summary>
    /// Standard normal noise of shape (B, rowShape...): row b is <c>randn((1, rowShape...))</c> drawn from row b's
    /// generator, exactly what a batch of one with seed_b would draw at this point of its chain.
    /// </summary>
    public Tensor Randn(ReadOnlySpan<long> rowShape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        long[] shape = [1, .. rowShape];
        using var scope = NewDisposeScope();
        var rows = new Tensor[_generators.Length];
        for (int b = 0; b < rows.Length; b++)
            rows[b] = randn(shape, dtype: dtype, device: device, generator: _generators[b]);    // (1, rowShape...)
        var noise = rows.Length == 1 ? rows[0] : cat(rows, 0);                                  // (B, rowShape...)
        return noise.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var g in _generators) g.Dispose();
    }
}
