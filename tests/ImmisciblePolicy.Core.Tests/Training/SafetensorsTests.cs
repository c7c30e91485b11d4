using System.Text;
using System.Text.Json;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Training;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("safetensors-tests-").FullName;

    public SafetensorsTests() => TorchRuntime.Configure(1);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static KeyValuePair<string, Tensor> Named(string name, Tensor t) => new(name, t);

    [Fact]
    public void Write_TinyTensor_MatchesGoldenBytes()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        Safetensors.Write(stream, [Named("a", tensor(new[] { 1f, -2f }))]);
        // Spec: u64 LE header size, JSON header padded with spaces to a multiple of 8, raw LE data.
        const string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"; // 54 bytes -> 56
        var expected = new byte[] { 56, 0, 0, 0, 0, 0, 0, 0 }
            .Concat(Encoding.ASCII.GetBytes(json + "  "))
            .Concat(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 }) // 1.0f, -2.0f
            .ToArray();
        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void Write_WithMetadata_PutsItFirstInTheHeader()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        Safetensors.Write(stream, [Named("a", tensor(new[] { 1f, -2f }))], new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = stream.ToArray();
        Assert.Equal(88L, BitConverter.ToInt64(bytes, 0));
        Assert.Equal(
            "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ",
            Encoding.UTF8.GetString(bytes, 8, 88));
    }

    [Fact]
    public void SaveThenLoad_RoundTripsEveryDtypeShapeAndMetadata()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(1);
        var original = new Dictionary<string, Tensor>
        {
            ["unet.weight"] = randn([3, 4, 5], generator: g),
            ["f64"] = randn([2, 2], dtype: float64, generator: g),
            ["f16"] = randn([7], generator: g).to(float16),
            ["bf16"] = randn([3], generator: g).to(bfloat16),
            ["steps"] = tensor(new long[] { 0, -5, long.MaxValue }),
            ["i32"] = tensor(new[] { 1, -2, 3 }),
            ["u8"] = tensor(new byte[] { 0, 255 }),
            ["mask"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(3.5f),
            ["empty"] = zeros(0, 4),
            ["transposed"] = randn([4, 3], generator: g).t(),  // non-contiguous input
        };
        var path = Path.Combine(_dir, "round.safetensors");
        Safetensors.Save(path, original, new Dictionary<string, string> { ["config"] = "{\"k\": 5}", ["ünï"] = "cödé" });

        using var loaded = Safetensors.Load(path);
        Assert.Equal(original.Keys.Order(), loaded.Tensors.Keys.Order());
        foreach (var (name, t) in original)
        {
            var back = loaded[name];
            Assert.Equal(t.dtype, back.dtype);
            Assert.Equal(t.shape, back.shape);
            Assert.True(t.to(float64).eq(back.to(float64)).all().item<bool>(), $"tensor '{name}' changed");
        }
        Assert.Equal("{\"k\": 5}", loaded.Metadata["config"]);
        Assert.Equal("cödé", loaded.Metadata["ünï"]);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Save_OverExistingFile_ReplacesItWhole()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_dir, "replace.safetensors");
        Safetensors.Save(path, [Named("big", zeros(1000))]);
        Safetensors.Save(path, [Named("small", ones(2))]);
        using var loaded = Safetensors.Load(path);
        Assert.Equal(["small"], loaded.Tensors.Keys);
        Assert.Equal(8 + 64 + 8, new FileInfo(path).Length);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_DataIsAlignedToElementSize()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        Safetensors.Write(stream, [Named("a_half", ones(3, dtype: float16)), Named("b_double", ones(2, dtype: float64)), Named("c_float", ones(1))]);
        var bytes = stream.ToArray();
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            long begin = entry.Value.GetProperty("data_offsets")[0].GetInt64();
            int size = entry.Value.GetProperty("dtype").GetString() switch { "F64" => 8, "F32" => 4, _ => 2 };
            Assert.True(begin % size == 0, $"{entry.Name} starts at {begin}, not a multiple of {size}");
        }
    }

    [Fact]
    public void Write_DuplicateOrReservedName_Throws()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        var dup = Assert.Throws<ArgumentException>(() => Safetensors.Write(stream, [Named("x", ones(1)), Named("x", ones(1))]));
        Assert.Contains("'x' appears twice", dup.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Safetensors.Write(stream, [Named("__metadata__", ones(1))]));
    }

    [Fact]
    public void Read_TruncatedData_SaysWhatIsMissing()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        Safetensors.Write(stream, [Named("a", tensor(new[] { 1f, -2f }))]);
        var bytes = stream.ToArray()[..^4];
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(bytes));
        Assert.Contains("cover 8 data bytes but the file holds 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WrongByteCountForShape_NamesTheTensor()
    {
        var json = Encoding.ASCII.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}  ");
        var bytes = BitConverter.GetBytes((long)json.Length).Concat(json).Concat(new byte[8]).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(bytes));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("needs 12 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HeaderSizeBeyondFile_Throws()
    {
        var bytes = BitConverter.GetBytes(1000L).Concat(new byte[16]).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(bytes));
        Assert.Contains("header size 1000", e.Message, StringComparison.Ordinal);
    }

    private const string NumpyReader = """
        import json, struct, sys
        import numpy as np
        raw = open(sys.argv[1], 'rb').read()
        (n,) = struct.unpack('<Q', raw[:8])
        header = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        kinds = {'F32': '<f4', 'F64': '<f8', 'F16': '<f2', 'I64': '<i8'}
        out = {'__metadata__': header.pop('__metadata__', {})}
        for name, spec in header.items():
            b, e = spec['data_offsets']
            arr = np.frombuffer(data[b:e], dtype=kinds[spec['dtype']]).reshape(spec['shape'])
            out[name] = {'dtype': spec['dtype'], 'shape': list(arr.shape), 'values': arr.astype(np.float64).ravel().tolist()}
        print(json.dumps(out))
        """;

    [Fact]
    public void NumpyReadsWhatWeWrite()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(2);
        var original = new Dictionary<string, Tensor>
        {
            ["w"] = randn([2, 3], generator: g),
            ["d"] = randn([4], dtype: float64, generator: g),
            ["h"] = tensor(new[] { 0.5f, -1.25f, 65504f }).to(float16),
            ["t"] = tensor(new long[] { 0, 99, -7 }),
        };
        var path = Path.Combine(_dir, "for-numpy.safetensors");
        Safetensors.Save(path, original, new Dictionary<string, string> { ["producer"] = "immiscible" });

        using var doc = JsonDocument.Parse(PythonNumpy.Run(NumpyReader, path));
        Assert.Equal("immiscible", doc.RootElement.GetProperty("__metadata__").GetProperty("producer").GetString());
        foreach (var (name, t) in original)
        {
            var entry = doc.RootElement.GetProperty(name);
            Assert.Equal(t.shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
            var expected = t.to(float64).reshape(-1).data<double>().ToArray();
            var actual = entry.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void WeReadWhatNumpyWrites()
    {
        // numpy builds the file with json.dumps' default spacing and a header order unlike ours.
        const string writer = """
            import json, struct, sys
            import numpy as np
            w = (np.arange(6, dtype='<f4') - 2.5).reshape(2, 3)
            t = np.array([3, -1, 2**40], dtype='<i8')
            blobs = [('t', 'I64', t), ('w', 'F32', w)]
            header, offset, data = {}, 0, b''
            for name, kind, arr in blobs:
                raw = arr.tobytes()
                header[name] = {'dtype': kind, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(raw)]}
                offset += len(raw); data += raw
            header = {'w': header['w'], '__metadata__': {'note': 'from numpy'}, 't': header['t']}
            text = json.dumps(header).encode()
            text += b' ' * (-len(text) % 8)
            open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + data)
            """;
        var path = Path.Combine(_dir, "from-numpy.safetensors");
        PythonNumpy.Run(writer, path);
        using var scope = NewDisposeScope();
        using var loaded = Safetensors.Load(path);
        Assert.Equal("from numpy", loaded.Metadata["note"]);
        Assert.Equal([2L, 3L], loaded["w"].shape);
        Assert.Equal([-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f], loaded["w"].data<float>().ToArray());
        Assert.Equal([3L, -1L, 1L << 40], loaded["t"].data<long>().ToArray());
    }
}
