using System.Runtime.InteropServices;
using Google.Protobuf;
using ImmisciblePolicy.Onnx.Ir;

namespace ImmisciblePolicy.Onnx;

/// <summary>
/// Appends nodes, initializers, inputs and outputs to an ONNX <see cref="GraphProto"/> (onnx/onnx docs/IR.md:
/// nodes in topological order, every value named once). Value names are made unique with a counter so the
/// exporter can name values after the module that produced them.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public OnnxGraphBuilder(string name) => Graph = new GraphProto { Name = name };

    public GraphProto Graph { get; }

    /// <summary>A value name not used yet, derived from <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        var name = hint;
        while (!_names.Add(name)) name = $"{hint}_{++_counter}";
        return name;
    }

    /// <summary>A float32 constant (row-major, little-endian raw data).</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        CheckCount(name, data.Length, dims);
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(LittleEndian(MemoryMarshal.AsBytes(data)));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An int64 constant (shapes, axes).</summary>
    public string Int64s(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.RawData = ByteString.CopyFrom(LittleEndian(MemoryMarshal.AsBytes(values.AsSpan())));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string outputHint, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Nodes(opType, [outputHint], inputs, attributes)[0];

    /// <summary>Adds a node with several outputs (e.g. Split) and returns their names.</summary>
    public string[] Nodes(string opType, IReadOnlyList<string> outputHints, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType };
        node.Input.AddRange(inputs);
        var outputs = outputHints.Select(Fresh).ToArray();
        node.Output.AddRange(outputs);
        node.Name = outputs[0];
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Declares a graph input; a dimension is a size (long) or a symbol (string, e.g. "batch").</summary>
    public void Input(string name, TensorProto.Types.DataType type, params object[] dims) =>
        Graph.Input.Add(ValueInfo(Claim(name), type, dims));

    /// <summary>Declares a graph output produced by a node.</summary>
    public void Output(string name, TensorProto.Types.DataType type, params object[] dims) =>
        Graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>Reserves an exact name (graph inputs and outputs keep their public names).</summary>
    public string Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"value name '{name}' is already used in the graph");
        return name;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                long n => new TensorShapeProto.Types.Dimension { DimValue = n },
                int n => new TensorShapeProto.Types.Dimension { DimValue = n },
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => throw new ArgumentException($"a dimension must be a size or a symbol; got {d?.GetType().Name ?? "null"}", nameof(dims)),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static void CheckCount(string name, int count, long[] dims)
    {
        long expected = dims.Aggregate(1L, (a, d) => a * d);
        if (expected != count)
            throw new ArgumentException($"initializer '{name}' has {count} values but dims [{string.Join(", ", dims)}] hold {expected}", nameof(dims));
    }

    // ONNX raw_data is little-endian; every platform .NET and ONNX Runtime run on here is, but say so if not.
    private static ReadOnlySpan<byte> LittleEndian(ReadOnlySpan<byte> bytes) => BitConverter.IsLittleEndian
        ? bytes
        : throw new PlatformNotSupportedException("ONNX export writes raw little-endian tensor data; this machine is big-endian");
}
