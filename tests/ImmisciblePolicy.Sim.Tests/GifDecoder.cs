namespace ImmisciblePolicy.Sim.Tests;

/// <summary>
/// Independent test oracle: walks a GIF89a byte stream block by block (per the specification)
/// and LZW-decodes every image into palette indices.
/// </summary>
internal static class GifDecoder
{
    public sealed record Decoded(int Width, int Height, byte[] Palette, List<byte[]> Frames, List<int> Delays);

    public static Decoded Decode(byte[] gif)
    {
        int pos = 0;
        string header = System.Text.Encoding.ASCII.GetString(gif, 0, 6);
        if (header != "GIF89a")
        {
            throw new InvalidDataException($"bad header {header}");
        }

        pos = 6;
        int w = U16(gif, ref pos), h = U16(gif, ref pos);
        byte flags = gif[pos++];
        pos += 2;
        byte[] palette = [];
        if ((flags & 0x80) != 0)
        {
            int n = 3 << ((flags & 7) + 1);
            palette = gif[pos..(pos + n)];
            pos += n;
        }

        var frames = new List<byte[]>();
        var delays = new List<int>();
        while (true)
        {
            byte b = gif[pos++];
            if (b == 0x3B)
            {
                if (pos != gif.Length)
                {
                    throw new InvalidDataException("bytes after trailer");
                }

                return new Decoded(w, h, palette, frames, delays);
            }

            if (b == 0x21)
            {
                byte label = gif[pos++];
                var data = ReadSubBlocks(gif, ref pos);
                if (label == 0xF9)
                {
                    delays.Add(data[1] | (data[2] << 8));
                }

                continue;
            }

            if (b != 0x2C)
            {
                throw new InvalidDataException($"unexpected block 0x{b:X2} at {pos - 1}");
            }

            pos += 4;
            int fw = U16(gif, ref pos), fh = U16(gif, ref pos);
            byte iflags = gif[pos++];
            if ((iflags & 0x80) != 0)
            {
                throw new InvalidDataException("local colour tables not expected");
            }

            int minCode = gif[pos++];
            var lzw = ReadSubBlocks(gif, ref pos);
            frames.Add(Lzw(lzw, minCode, fw * fh));
        }
    }

    private static byte[] Lzw(byte[] data, int minCode, int count)
    {
        int clear = 1 << minCode, end = clear + 1;
        var output = new List<byte>(count);
        var table = new List<byte[]>();
        void ResetTable()
        {
            table.Clear();
            for (int i = 0; i < clear; i++)
            {
                table.Add([(byte)i]);
            }

            table.Add([]);
            table.Add([]);
        }

        ResetTable();
        int codeSize = minCode + 1;
        int bitPos = 0;
        byte[]? prev = null;
        while (true)
        {
            int code = 0;
            for (int i = 0; i < codeSize; i++, bitPos++)
            {
                if ((bitPos >> 3) >= data.Length)
                {
                    throw new InvalidDataException("ran out of LZW data");
                }

                code |= ((data[bitPos >> 3] >> (bitPos & 7)) & 1) << i;
            }

            if (code == clear)
            {
                ResetTable();
                codeSize = minCode + 1;
                prev = null;
                continue;
            }

            if (code == end)
            {
                break;
            }

            byte[] entry;
            if (code < table.Count)
            {
                entry = table[code];
                if (prev is not null)
                {
                    table.Add([.. prev, entry[0]]);
                }
            }
            else if (code == table.Count && prev is not null)
            {
                entry = [.. prev, prev[0]];
                table.Add(entry);
            }
            else
            {
                throw new InvalidDataException($"bad code {code} with table {table.Count}");
            }

            output.AddRange(entry);
            prev = entry;
            if (table.Count == (1 << codeSize) && codeSize < 12)
            {
                codeSize++;
            }
        }

        if (output.Count != count)
        {
            throw new InvalidDataException($"decoded {output.Count} pixels, expected {count}");
        }

        return [.. output];
    }

    private static byte[] ReadSubBlocks(byte[] gif, ref int pos)
    {
        var data = new List<byte>();
        while (true)
        {
            int n = gif[pos++];
            if (n == 0)
            {
                return [.. data];
            }

            data.AddRange(gif.AsSpan(pos, n).ToArray());
            pos += n;
        }
    }

    private static int U16(byte[] b, ref int pos)
    {
        int v = b[pos] | (b[pos + 1] << 8);
        pos += 2;
        return v;
    }
}
