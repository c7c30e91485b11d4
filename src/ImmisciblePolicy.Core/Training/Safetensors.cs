using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Training;

/// <summary>
/// Reader and writer for the safetensors format (huggingface/safetensors, README "Format"): an 8-byte
/// little-endian header size N, an N-byte UTF-8 JSON header
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}</c>
/// padded with spaces to a multiple of 8, then the raw little-endian tensor bytes, offsets relative to the end of
/// the header. Files written here load in PyTorch/numpy and vice versa, so checkpoints are not tied to .NET.
/// </summary>
public static class Safetensors
{
    /// <summary>Header key reserved for free-form string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    // The reference implementation refuses headers above 100 MB; so do we, before allocating.
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // serde_json (the reference writer) does not escape non-ASCII or '+', '<', ...; only what JSON requires.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically: the bytes go to a temporary
    /// file in the same directory, which is flushed and then renamed over the target, so a crash never
    /// leaves a truncated checkpoint behind.
    /// </summary>
    /// <param name="path">target file; its directory must exist.</param>
    /// <param name="tensors">named tensors (any device; copied to CPU, contiguous). Names must be unique.</param>
    /// <param name="metadata">optional string metadata stored under "__metadata__".</param>
    public static void Save(
        string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new ArgumentException($"directory of '{path}' does not exist: {directory}", nameof(path));
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Write(stream, tensors, metadata);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Serialises to <paramref name="stream"/> (see <see cref="Save"/>).</summary>
    public static void Write(
        Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        EnsureLittleEndian();
        var entries = new List<(string Name, SafetensorsDtype Dtype, long[] Shape, byte[] Data)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("tensor names must be non-empty", nameof(tensors));
            if (name == MetadataKey)
                throw new ArgumentException($"'{MetadataKey}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            if (!seen.Add(name))
                throw new ArgumentException($"tensor name '{name}' appears twice", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            var dtype = SafetensorsDtypes.FromTorch(tensor.dtype, name);
            using var cpu = tensor.detach().cpu().contiguous();
            entries.Add((name, dtype, tensor.shape, cpu.numel() == 0 ? [] : cpu.bytes.ToArray()));
        }
        // Like the reference writer: larger elements first, then by name, so every tensor starts at an offset
        // aligned to its element size (the header is padded to 8) and the layout is deterministic.
        entries.Sort((a, b) =>
        {
            int bySize = SafetensorsDtypes.ElementSize(b.Dtype).CompareTo(SafetensorsDtypes.ElementSize(a.Dtype));
            return bySize != 0 ? bySize : string.CompareOrdinal(a.Name, b.Name);
        });

        var header = BuildHeader(entries.Select(e => (e.Name, e.Dtype, e.Shape, (long)e.Data.Length)).ToList(), metadata);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);
        foreach (var e in entries) stream.Write(e.Data);
    }

    /// <summary>
    /// Reads every tensor (as CPU tensors owned by the result) and the metadata of a safetensors file. The file is
    /// streamed tensor by tensor through one pooled buffer the size of the largest tensor, so loading a checkpoint
    /// leaves no file-sized array behind for the garbage collector (a server that loads and unloads policies
    /// would otherwise keep each load's copy of the weights until a full collection).
    /// </summary>
    /// <exception cref="InvalidDataException">the file is not valid safetensors; the message says what is wrong.</exception>
    public static SafetensorsContent Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        EnsureLittleEndian();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        long length = file.Length;
        if (length < 8)
            throw Invalid(path, $"file has {length} bytes, fewer than the 8-byte header size");
        Span<byte> size = stackalloc byte[8];
        file.ReadExactly(size);
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(size);
        if (headerSize > MaxHeaderBytes || headerSize > (ulong)(length - 8))
            throw Invalid(path, $"header size {headerSize} exceeds the file ({length} bytes) or the 100 MB limit");
        var header = new byte[headerSize];
        file.ReadExactly(header);
        var (specs, metadata) = ParseHeader(header, length - 8 - (long)headerSize, path);

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long largest = specs.Count == 0 ? 0 : specs.Max(s => s.End - s.Begin);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(1, largest));
        try
        {
            // ParseHeader checked that the tensors tile the data region in offset order, so one forward pass reads them.
            foreach (var s in specs.OrderBy(s => s.Begin).ThenBy(s => s.End))
            {
                var t = empty(s.Shape, dtype: SafetensorsDtypes.ToTorch(s.Dtype));
                tensors[s.Name] = t;
                int count = (int)(s.End - s.Begin);
                if (count == 0) continue;
                file.ReadExactly(buffer, 0, count);
                t.bytes = buffer.AsSpan(0, count);
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return new SafetensorsContent(tensors, metadata);
    }

    /// <summary>Parses safetensors <paramref name="bytes"/>; <paramref name="source"/> names them in errors.</summary>
    public static SafetensorsContent Read(byte[] bytes, string source = "buffer")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        EnsureLittleEndian();
        if (bytes.Length < 8)
            throw Invalid(source, $"file has {bytes.Length} bytes, fewer than the 8-byte header size");
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerSize > MaxHeaderBytes || headerSize > (ulong)(bytes.Length - 8))
            throw Invalid(source, $"header size {headerSize} exceeds the file ({bytes.Length} bytes) or the 100 MB limit");
        var data = bytes.AsSpan(8 + (int)headerSize);   // the setter of Tensor.bytes needs a mutable span
        var (specs, metadata) = ParseHeader(bytes.AsMemory(8, (int)headerSize), data.Length, source);

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var s in specs)
            {
                var t = empty(s.Shape, dtype: SafetensorsDtypes.ToTorch(s.Dtype));
                tensors[s.Name] = t;
                if (s.End > s.Begin) t.bytes = data[(int)s.Begin..(int)s.End];
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new SafetensorsContent(tensors, metadata);
    }

    // The JSON header: tensor specs in header order and the metadata; checks that the specs tile the
    // dataLength-byte data region exactly.
    private static (List<(string Name, SafetensorsDtype Dtype, long[] Shape, long Begin, long End)> Specs, Dictionary<string, string> Metadata)
        ParseHeader(ReadOnlyMemory<byte> header, long dataLength, string source)
    {
        var specs = new List<(string Name, SafetensorsDtype Dtype, long[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(source, $"header is a JSON {doc.RootElement.ValueKind}, not an object");
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == MetadataKey)
                {
                    foreach (var m in entry.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String
                            ? m.Value.GetString()!
                            : throw Invalid(source, $"metadata value '{m.Name}' is a {m.Value.ValueKind}, not a string");
                    continue;
                }
                var dtype = SafetensorsDtypes.Parse(entry.Value.GetProperty("dtype").GetString() ?? "", entry.Name, source);
                var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (shape.Any(d => d < 0))
                    throw Invalid(source, $"tensor '{entry.Name}' has a negative dimension in shape [{string.Join(", ", shape)}]");
                if (offsets.Length != 2)
                    throw Invalid(source, $"tensor '{entry.Name}' needs data_offsets [begin, end]; got {offsets.Length} numbers");
                long expected = shape.Aggregate(1L, (a, d) => checked(a * d)) * SafetensorsDtypes.ElementSize(dtype);
                if (offsets[1] - offsets[0] != expected)
                    throw Invalid(source,
                        $"tensor '{entry.Name}' ({dtype} [{string.Join(", ", shape)}]) needs {expected} bytes; data_offsets [{offsets[0]}, {offsets[1]}] hold {offsets[1] - offsets[0]}");
                specs.Add((entry.Name, dtype, shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw Invalid(source, $"malformed header: {e.Message}");
        }

        // The data region must be covered exactly, in order, without gaps or overlaps (as the reference checks).
        long cursor = 0;
        foreach (var s in specs.OrderBy(s => s.Begin).ThenBy(s => s.End))
        {
            if (s.Begin != cursor)
                throw Invalid(source, $"tensor '{s.Name}' starts at byte {s.Begin}, expected {cursor} (gap or overlap)");
            cursor = s.End;
        }
        if (cursor != dataLength)
            throw Invalid(source, $"tensors cover {cursor} data bytes but the file holds {dataLength}");

        return (specs, metadata);
    }

    /// <summary>The padded JSON header for the given tensor layout (in file order).</summary>
    internal static byte[] BuildHeader(
        IReadOnlyList<(string Name, SafetensorsDtype Dtype, long[] Shape, long ByteCount)> entries,
        IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value ?? throw new ArgumentException($"metadata '{key}' is null", nameof(metadata)));
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, byteCount) in entries)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsDtypes.Name(dtype));
                json.WriteStartArray("shape");
                foreach (var d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + byteCount);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += byteCount;
            }
            json.WriteEndObject();
        }
        int length = (int)buffer.Length;
        int padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static InvalidDataException Invalid(string source, string detail) => new($"invalid safetensors ({source}): {detail}");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported");
    }
}

/// <summary>The element types this implementation reads and writes, with their safetensors names.</summary>
public enum SafetensorsDtype
{
    /// <summary>IEEE half precision ("F16").</summary>
    F16,
    /// <summary>bfloat16 ("BF16").</summary>
    BF16,
    /// <summary>IEEE single precision ("F32").</summary>
    F32,
    /// <summary>IEEE double precision ("F64").</summary>
    F64,
    /// <summary>32-bit signed integer ("I32").</summary>
    I32,
    /// <summary>64-bit signed integer ("I64").</summary>
    I64,
    /// <summary>8-bit unsigned integer ("U8").</summary>
    U8,
    /// <summary>Boolean, one byte each ("BOOL").</summary>
    Bool,
}

internal static class SafetensorsDtypes
{
    public static string Name(SafetensorsDtype d) => d == SafetensorsDtype.Bool ? "BOOL" : d.ToString();

    public static SafetensorsDtype Parse(string name, string tensor, string source) => name switch
    {
        "F16" => SafetensorsDtype.F16,
        "BF16" => SafetensorsDtype.BF16,
        "F32" => SafetensorsDtype.F32,
        "F64" => SafetensorsDtype.F64,
        "I32" => SafetensorsDtype.I32,
        "I64" => SafetensorsDtype.I64,
        "U8" => SafetensorsDtype.U8,
        "BOOL" => SafetensorsDtype.Bool,
        _ => throw new InvalidDataException(
            $"invalid safetensors ({source}): tensor '{tensor}' has unsupported dtype '{name}' (supported: F16, BF16, F32, F64, I32, I64, U8, BOOL)"),
    };

    public static int ElementSize(SafetensorsDtype d) => d switch
    {
        SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.F32 or SafetensorsDtype.I32 => 4,
        SafetensorsDtype.F64 or SafetensorsDtype.I64 => 8,
        _ => 1,
    };

    public static ScalarType ToTorch(SafetensorsDtype d) => d switch
    {
        SafetensorsDtype.F16 => ScalarType.Float16,
        SafetensorsDtype.BF16 => ScalarType.BFloat16,
        SafetensorsDtype.F32 => ScalarType.Float32,
        SafetensorsDtype.F64 => ScalarType.Float64,
        SafetensorsDtype.I32 => ScalarType.Int32,
        SafetensorsDtype.I64 => ScalarType.Int64,
        SafetensorsDtype.U8 => ScalarType.Byte,
        _ => ScalarType.Bool,
    };

    public static SafetensorsDtype FromTorch(ScalarType t, string tensor) => t switch
    {
        ScalarType.Float16 => SafetensorsDtype.F16,
        ScalarType.BFloat16 => SafetensorsDtype.BF16,
        ScalarType.Float32 => SafetensorsDtype.F32,
        ScalarType.Float64 => SafetensorsDtype.F64,
        ScalarType.Int32 => SafetensorsDtype.I32,
        ScalarType.Int64 => SafetensorsDtype.I64,
        ScalarType.Byte => SafetensorsDtype.U8,
        ScalarType.Bool => SafetensorsDtype.Bool,
        _ => throw new ArgumentException($"tensor '{tensor}' has dtype {t}, which safetensors writing does not support here", nameof(tensor)),
    };
}
