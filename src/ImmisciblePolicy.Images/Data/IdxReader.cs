using System.Buffers.Binary;
using System.IO.Compression;

namespace ImmisciblePolicy.Images.Data;

/// <summary>
/// Reads the IDX format of MNIST / Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/): a big-endian
/// magic 0x00000803 (unsigned bytes, 3 dimensions: N, rows, cols) for images or 0x00000801 (1 dimension: N) for
/// labels, then the dimensions as big-endian int32, then the bytes. Files ending in <c>.gz</c> are gunzipped.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic of an unsigned-byte 3-D array (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic of an unsigned-byte 1-D array (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file: (count, rows, cols, count*rows*cols bytes).</summary>
    /// <exception cref="InvalidDataException">the message names the file and the problem.</exception>
    public static (int Count, int Rows, int Cols, byte[] Pixels) ReadImages(string path)
    {
        var bytes = ReadAll(path);
        var dims = Header(path, bytes, ImagesMagic, 3);
        long size = (long)dims[0] * dims[1] * dims[2];
        var body = Body(path, bytes, 16, size);
        return (dims[0], dims[1], dims[2], body);
    }

    /// <summary>Reads a label file: one byte per item.</summary>
    /// <exception cref="InvalidDataException">the message names the file and the problem.</exception>
    public static byte[] ReadLabels(string path)
    {
        var bytes = ReadAll(path);
        var dims = Header(path, bytes, LabelsMagic, 1);
        return Body(path, bytes, 8, dims[0]);
    }

    private static byte[] ReadAll(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        using var file = File.OpenRead(path);
        using var buffer = new MemoryStream();
        try
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                using var gz = new GZipStream(file, CompressionMode.Decompress);
                gz.CopyTo(buffer);
            }
            else
            {
                file.CopyTo(buffer);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid gzip stream ({e.Message})", e);
        }
        return buffer.ToArray();
    }

    private static int[] Header(string path, byte[] bytes, int magic, int rank)
    {
        int headerSize = 4 + 4 * rank;
        if (bytes.Length < 4)
            throw new InvalidDataException($"{path}: truncated header: {bytes.Length} bytes, expected at least {headerSize}");
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
            throw new InvalidDataException(
                $"{path}: magic number 0x{found:X8}, expected 0x{magic:X8} ({(magic == ImagesMagic ? "images" : "labels")}); " +
                (found == ImagesMagic || found == LabelsMagic ? "images and labels files are swapped?" : "not an IDX file"));
        if (bytes.Length < headerSize)
            throw new InvalidDataException($"{path}: truncated header: {bytes.Length} bytes, expected at least {headerSize}");
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 1) throw new InvalidDataException($"{path}: dimension {i} is {dims[i]}, expected a positive size");
        }
        return dims;
    }

    private static byte[] Body(string path, byte[] bytes, int offset, long size)
    {
        long available = bytes.LongLength - offset;
        if (available < size)
            throw new InvalidDataException($"{path}: truncated data: header promises {size} bytes, file holds {available}");
        if (available > size)
            throw new InvalidDataException($"{path}: {available - size} trailing bytes after the {size} the header promises");
        return bytes.AsSpan(offset, (int)size).ToArray();
    }
}
