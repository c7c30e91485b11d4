using Parquet;
using Parquet.Schema;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Collects whole columns and writes them as one Parquet row group, shaped the way pyarrow writes a
/// Hugging Face `datasets` table: every column optional (nullable), fixed-width vectors as the standard
/// three-level LIST group (`optional group name (LIST) { repeated group list { optional T element } }`),
/// Snappy compression.
/// </summary>
internal sealed class ParquetTableWriter
{
    private readonly List<Field> fields = [];
    private readonly List<Func<ParquetRowGroupWriter, CancellationToken, Task>> columns = [];
    private long? rowCount;

    public void AddInt64(string name, long[] values) => AddScalar(name, values);

    public void AddFloat(string name, float[] values) => AddScalar(name, values);

    public void AddDouble(string name, double[] values) => AddScalar(name, values);

    public void AddBool(string name, bool[] values) => AddScalar(name, values);

    public void AddString(string name, string[] values)
    {
        CheckRows(name, values.Length);
        var field = new DataField<string>(name, true);
        fields.Add(field);
        columns.Add((rg, ct) => rg.WriteAsync(field, values, null));
    }

    /// <summary>A list column whose every row holds exactly <paramref name="width"/> values, (rows, width) row-major.</summary>
    public void AddList<T>(string name, T[] flat, int width) where T : struct
    {
        if (width < 1 || flat.Length % width != 0)
            throw new ArgumentException($"column '{name}': {flat.Length} values do not split into rows of {width}", nameof(flat));
        CheckRows(name, flat.Length / width);
        var element = new DataField<T>(ListField.ElementName, true);
        fields.Add(new ListField(name, element));
        columns.Add((rg, ct) => rg.WriteAsync<T>(element, ToNullable(flat), RepetitionLevels(flat.Length / width, _ => width), null, ct));
    }

    /// <summary>A list-of-strings column with rows of any non-zero length.</summary>
    public void AddStringList(string name, string[][] rows)
    {
        CheckRows(name, rows.Length);
        if (rows.Any(r => r.Length == 0))
            throw new ArgumentException($"column '{name}': empty lists are not supported", nameof(rows));
        var element = new DataField<string>(ListField.ElementName, true);
        fields.Add(new ListField(name, element));
        string[] flat = [.. rows.SelectMany(r => r)];
        columns.Add((rg, ct) => rg.WriteAsync(element, flat, RepetitionLevels(rows.Length, i => rows[i].Length)));
    }

    /// <summary>
    /// An image column as `datasets` stores its Image feature: <c>optional group name { optional binary bytes;
    /// optional binary path (STRING); }</c>, one embedded PNG per row plus the basename it came from.
    /// </summary>
    public void AddImage(string name, byte[][] pngs, string[] paths)
    {
        CheckRows(name, pngs.Length);
        if (paths.Length != pngs.Length)
            throw new ArgumentException($"column '{name}': {pngs.Length} images but {paths.Length} paths", nameof(paths));
        var bytes = new DataField<byte[]>("bytes", true);
        var path = new DataField<string>("path", true);
        fields.Add(new StructField(name, bytes, path));
        columns.Add(async (rg, ct) =>
        {
            await rg.WriteAsync(bytes, pngs, null).ConfigureAwait(false);
            await rg.WriteAsync(path, paths, null).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// A column whose every row is a (C, 1, 1) nested list of doubles, as pyarrow stores the tolist() of a numpy
    /// array of that shape (LeRobot's per-episode image statistics): list&lt;list&lt;list&lt;double&gt;&gt;&gt;.
    /// </summary>
    public void AddChannelStatistic(string name, double[] flat, int channels)
    {
        if (channels < 1 || flat.Length % channels != 0)
            throw new ArgumentException($"column '{name}': {flat.Length} values do not split into rows of {channels} channels", nameof(flat));
        int rows = flat.Length / channels;
        CheckRows(name, rows);
        var leaf = new DataField<double>(ListField.ElementName, true);
        fields.Add(new ListField(name, new ListField(ListField.ElementName, new ListField(ListField.ElementName, leaf))));
        // Repetition level 0 opens a row, 1 opens the next channel of the outer list; the inner lists hold one value each.
        var levels = new int[flat.Length];
        for (int i = 0; i < levels.Length; i++)
            levels[i] = i % channels == 0 ? 0 : 1;
        columns.Add((rg, ct) => rg.WriteAsync<double>(leaf, ToNullable(flat), levels, null, ct));
    }

    /// <summary>Writes the table to <paramref name="path"/>, with optional file key/value metadata.</summary>
    public async Task WriteAsync(string path, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
        await using FileStream stream = File.Create(path);
        await using (ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, options, false, cancellationToken)
            .ConfigureAwait(false))
        {
            if (metadata is not null)
                writer.CustomMetadata = metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
            using ParquetRowGroupWriter rowGroup = writer.CreateRowGroup();
            foreach (var column in columns)
                await column(rowGroup, cancellationToken).ConfigureAwait(false);
        }
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void AddScalar<T>(string name, T[] values) where T : struct
    {
        CheckRows(name, values.Length);
        var field = new DataField<T>(name, true);
        fields.Add(field);
        columns.Add((rg, ct) => rg.WriteAsync<T>(field, ToNullable(values), null, null, ct));
    }

    private void CheckRows(string name, int rows)
    {
        rowCount ??= rows;
        if (rowCount != rows)
            throw new ArgumentException($"column '{name}' has {rows} rows, the table has {rowCount}");
    }

    private static ReadOnlyMemory<T?> ToNullable<T>(T[] values) where T : struct
    {
        var result = new T?[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = values[i];
        return result;
    }

    /// <summary>Dremel repetition levels of a one-level list: 0 opens a new row, 1 continues it.</summary>
    private static ReadOnlyMemory<int> RepetitionLevels(int rows, Func<int, int> rowLength)
    {
        var levels = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            int length = rowLength(r);
            for (int j = 0; j < length; j++)
                levels.Add(j == 0 ? 0 : 1);
        }
        return levels.ToArray();
    }
}
