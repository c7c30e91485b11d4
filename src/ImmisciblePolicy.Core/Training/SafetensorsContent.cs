using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Training;

/// <summary>Tensors and metadata read from a safetensors file. Owns the tensors: disposing frees them.</summary>
public sealed class SafetensorsContent : IDisposable
{
    internal SafetensorsContent(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>CPU tensors by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The "__metadata__" strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>; the exception lists what the file holds.</summary>
    public Tensor this[string name] => Tensors.TryGetValue(name, out var t)
        ? t
        : throw new KeyNotFoundException($"no tensor '{name}' in safetensors file; it holds: {string.Join(", ", Tensors.Keys.Order(StringComparer.Ordinal))}");

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
