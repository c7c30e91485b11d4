using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Reads whole named columns of one Parquet file, checking the type of each against what the LeRobot
/// layout specifies. Every failure (missing file, unreadable file, missing column, wrong type, nulls,
/// ragged vectors) becomes an <see cref="InvalidDataException"/> naming the file and the column.
/// Accepts both required and optional columns and any LIST element name ("element", "item"), since
/// pyarrow, `datasets` and this project's writer differ there.
/// </summary>
internal sealed class ParquetTableReader : IAsyncDisposable
{
    private readonly ParquetReader reader;
    private readonly Stream stream;
    private readonly Dictionary<string, Field> fields;

    private ParquetTableReader(string relativePath, Stream stream, ParquetReader reader)
    {
        RelativePath = relativePath;
        this.stream = stream;
        this.reader = reader;
        fields = reader.Schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        RowCount = reader.RowGroups.Sum(rg => rg.RowCount);
    }

    /// <summary>Path relative to the dataset root, used in every error message.</summary>
    public string RelativePath { get; }

    public long RowCount { get; }

    public IReadOnlyList<string> ColumnNames => [.. reader.Schema.Fields.Select(f => f.Name)];

    /// <summary>The file footer's key/value metadata (e.g. "pandas", "huggingface"); empty when there is none.</summary>
    public IReadOnlyDictionary<string, string> KeyValueMetadata => reader.CustomMetadata ?? new Dictionary<string, string>();

    public static async Task<ParquetTableReader> OpenAsync(string root, string relativePath, CancellationToken cancellationToken)
    {
        string fullPath = Path.Combine(root, relativePath);
        if (!File.Exists(fullPath))
            throw LeRobotFormatError.Create(relativePath, "file is missing");
        FileStream stream = File.OpenRead(fullPath);
        try
        {
            ParquetReader reader = await ParquetReader.CreateAsync(stream, null, false, cancellationToken).ConfigureAwait(false);
            return new ParquetTableReader(relativePath, stream, reader);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw LeRobotFormatError.Create(relativePath, $"not a readable Parquet file ({ex.GetType().Name}: {ex.Message})", ex);
        }
    }

    public bool HasColumn(string name) => fields.ContainsKey(name);

    public Task<long[]> ReadInt64Async(string name, CancellationToken ct) => ReadScalarAsync<long>(name, ct);

    public Task<float[]> ReadFloatAsync(string name, CancellationToken ct) => ReadScalarAsync<float>(name, ct);

    public Task<bool[]> ReadBoolAsync(string name, CancellationToken ct) => ReadScalarAsync<bool>(name, ct);

    public Task<double[]> ReadDoubleAsync(string name, CancellationToken ct) => ReadScalarAsync<double>(name, ct);

    /// <summary>
    /// The embedded image bytes of a `datasets` Image column (struct of binary "bytes" and string "path"), one per row.
    /// Cells that only name an external file (bytes null) are rejected: LeRobot v3 embeds every image.
    /// </summary>
    public async Task<byte[][]> ReadImageBytesAsync(string name, CancellationToken ct)
    {
        Field field = Require(name);
        DataField? bytes = field is StructField structure
            ? structure.Fields.OfType<DataField>().FirstOrDefault(f => f.Name == "bytes" && IsBinary(f.ClrType) && f.MaxRepetitionLevel == 0)
            : null;
        if (bytes is null)
            throw WrongType(name, "struct<bytes: binary, path: string> (a `datasets` Image)", field);
        DataField? path = ((StructField)field).Fields.OfType<DataField>().FirstOrDefault(f => f.Name == "path" && IsString(f.ClrType));
        var result = new List<byte[]>((int)Math.Min(RowCount, int.MaxValue));
        await ForEachRowGroupAsync(name, async rg =>
        {
            var values = new byte[]?[rg.RowCount];
            await rg.ReadAsync(bytes, values.AsMemory(), null, ct).ConfigureAwait(false);
            string?[]? paths = null;
            if (path is not null && values.Any(v => v is null || v.Length == 0))
            {
                paths = new string?[rg.RowCount];
                await rg.ReadAsync(path, paths.AsMemory(), null, ct).ConfigureAwait(false);
            }
            for (int r = 0; r < values.Length; r++)
            {
                byte[]? v = values[r];
                if (v is null || v.Length == 0)
                {
                    string named = paths?[r] is { } p ? $" (it names the file '{p}')" : "";
                    throw Error(name, $"row {result.Count} holds no embedded image bytes{named}; LeRobot v3 datasets embed every PNG in the data file");
                }
                result.Add(v);
            }
        }).ConfigureAwait(false);
        return [.. result];
    }

    public async Task<string[]> ReadStringAsync(string name, CancellationToken ct)
    {
        Field field = Require(name);
        if (field is not DataField { ClrType: var type } data || !IsString(type))
            throw WrongType(name, "string", field);
        var result = new List<string>();
        await ForEachRowGroupAsync(name, async rg =>
        {
            var values = new string?[rg.RowCount];
            await rg.ReadAsync(data, values.AsMemory(), null, ct).ConfigureAwait(false);
            foreach (string? v in values)
                result.Add(v ?? throw Error(name, "contains a null value"));
        }).ConfigureAwait(false);
        return [.. result];
    }

    /// <summary>A list&lt;float32&gt; column whose every row has <paramref name="width"/> values, as (rows, width) row-major.</summary>
    public async Task<float[]> ReadFloatListAsync(string name, int width, CancellationToken ct)
    {
        DataField element = RequireListOf(name, typeof(float), "list<float32>");
        var flat = new List<float>((int)Math.Min(RowCount * width, int.MaxValue));
        await ForEachRowGroupAsync(name, async rg =>
        {
            using var raw = (RawColumnData<float>)await rg.ReadRawColumnDataBaseAsync(element, ct).ConfigureAwait(false);
            int[] rowLengths = RowLengths(name, element, raw);
            for (int r = 0; r < rowLengths.Length; r++)
            {
                if (rowLengths[r] != width)
                    throw Error(name, $"row {flat.Count / width + r} holds {rowLengths[r]} values, expected {width}");
            }
            foreach (float v in raw.Values)
                flat.Add(v);
        }).ConfigureAwait(false);
        return [.. flat];
    }

    /// <summary>A list&lt;string&gt; column (the episodes table's "tasks").</summary>
    public async Task<string[][]> ReadStringListAsync(string name, CancellationToken ct)
    {
        DataField element = RequireListOf(name, typeof(string), "list<string>");
        var rows = new List<string[]>();
        await ForEachRowGroupAsync(name, async rg =>
        {
            long count = rg.GetMetadata(element)?.MetaData?.NumValues ?? 0;
            var values = new string?[count];
            var repetition = new int[count];
            await rg.ReadAsync(element, values.AsMemory(), repetition.AsMemory(), ct).ConfigureAwait(false);
            for (int i = 0; i < values.Length; i++)
            {
                string v = values[i] ?? throw Error(name, "contains a null or empty list");
                if (repetition[i] == 0)
                    rows.Add([v]);
                else
                    rows[^1] = [.. rows[^1], v];
            }
        }).ConfigureAwait(false);
        if (rows.Count != RowCount)
            throw Error(name, $"holds {rows.Count} lists for {RowCount} rows (null or empty lists?)");
        return [.. rows];
    }

    public async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<T[]> ReadScalarAsync<T>(string name, CancellationToken ct) where T : struct
    {
        Field field = Require(name);
        string expected = DtypeName(typeof(T));
        if (field is not DataField { ClrType: var type } data || type != typeof(T))
            throw WrongType(name, expected, field);
        var result = new List<T>((int)Math.Min(RowCount, int.MaxValue));
        await ForEachRowGroupAsync(name, async rg =>
        {
            using var raw = (RawColumnData<T>)await rg.ReadRawColumnDataBaseAsync(data, ct).ConfigureAwait(false);
            if (raw.Values.Length != rg.RowCount)
                throw Error(name, $"holds {raw.Values.Length} non-null values in a row group of {rg.RowCount} rows (nulls are not allowed)");
            foreach (T v in raw.Values)
                result.Add(v);
        }).ConfigureAwait(false);
        return [.. result];
    }

    /// <summary>Row lengths from Dremel levels; rejects null lists, empty lists and null elements.</summary>
    private int[] RowLengths(string name, DataField element, RawColumnData raw)
    {
        ReadOnlySpan<int> repetition = raw.RepetitionLevels;
        var lengths = new List<int>();
        for (int i = 0; i < repetition.Length; i++)
        {
            if (repetition[i] == 0)
                lengths.Add(0);
            lengths[^1]++;
        }
        if (element.MaxDefinitionLevel > 0)
        {
            ReadOnlySpan<int> definition = raw.DefinitionLevels;
            for (int i = 0; i < definition.Length; i++)
            {
                if (definition[i] != element.MaxDefinitionLevel)
                    throw Error(name, "contains a null list, an empty list or a null element");
            }
        }
        return [.. lengths];
    }

    private async Task ForEachRowGroupAsync(string column, Func<ParquetRowGroupReader, Task> body)
    {
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader rg = reader.OpenRowGroupReader(g);
            try
            {
                await body(rg).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not InvalidDataException and not OperationCanceledException)
            {
                throw Error(column, $"could not be decoded in row group {g} ({ex.GetType().Name}: {ex.Message})", ex);
            }
        }
    }

    private Field Require(string name)
    {
        if (fields.TryGetValue(name, out Field? field))
            return field;
        throw Error(name, $"column is missing; found columns [{string.Join(", ", ColumnNames)}]");
    }

    private DataField RequireListOf(string name, Type elementType, string expected)
    {
        Field field = Require(name);
        if (field is ListField { Item: DataField item } && (item.ClrType == elementType || (elementType == typeof(string) && IsString(item.ClrType)))
            && item.MaxRepetitionLevel == 1)
            return item;
        throw WrongType(name, expected, field);
    }

    private InvalidDataException WrongType(string name, string expected, Field found) =>
        Error(name, $"has type {Describe(found)}, expected {expected}");

    private InvalidDataException Error(string column, string problem, Exception? inner = null) =>
        LeRobotFormatError.Create(RelativePath, $"column '{column}' {problem}", inner);

    /// <summary>numpy/arrow-style name of a Parquet field's type, for error messages.</summary>
    internal static string Describe(Field field) => field switch
    {
        DataField { IsArray: true } d => $"list<{DtypeName(d.ClrType)}>",
        DataField d => DtypeName(d.ClrType),
        StructField s => $"struct<{string.Join(", ", s.Fields.Select(f => $"{f.Name}: {Describe(f)}"))}>",
        ListField { Item: var item } => $"list<{Describe(item)}>",
        _ => field.SchemaType.ToString().ToLowerInvariant(),
    };

    internal static string DtypeName(Type type) =>
        type == typeof(float) ? "float32"
        : type == typeof(double) ? "float64"
        : type == typeof(long) ? "int64"
        : type == typeof(int) ? "int32"
        : type == typeof(bool) ? "bool"
        : IsString(type) ? "string"
        : IsBinary(type) ? "binary"
        : type.Name;

    /// <summary>Parquet.Net 6 surfaces BYTE_ARRAY columns without a logical type as ReadOnlyMemory&lt;byte&gt; or byte[].</summary>
    private static bool IsBinary(Type type) => type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>);

    /// <summary>Parquet.Net 6 surfaces UTF-8 columns as ReadOnlyMemory&lt;char&gt; unless asked for string.</summary>
    private static bool IsString(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>);
}
