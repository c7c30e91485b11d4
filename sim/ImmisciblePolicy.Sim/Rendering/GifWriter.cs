namespace ImmisciblePolicy.Sim.Rendering;

/// <summary>
/// Minimal animated GIF89a encoder (SkiaSharp has none): one global fixed 256-colour palette
/// (a 6 x 6 x 6 colour cube, 32 greys and the 8 exact colours <see cref="SceneRenderer"/> uses),
/// nearest-colour quantisation without dithering, LZW
/// with variable code sizes from 9 to 12 bits and a clear code when the table fills, a NETSCAPE2.0
/// extension for looping. Layout per the GIF89a specification (W3C/CompuServe 1990).
/// </summary>
public static class GifWriter
{
    private const int MinCodeSize = 8;
    private const int ClearCode = 1 << MinCodeSize;
    private const int EndCode = ClearCode + 1;
    private const int MaxCodes = 4096;

    private const int CubeSize = 216;
    private const int Greys = 32;
    private const int NamedStart = CubeSize + Greys;

    /// <summary>Scene colours kept exact (reference colour names): LightSlateGray, LightGreen, RoyalBlue, LightGray, red, white, black, Gold.</summary>
    private static readonly (byte R, byte G, byte B)[] Named =
    [
        (119, 136, 153), (144, 238, 144), (65, 105, 225), (211, 211, 211), (255, 0, 0), (255, 255, 255), (0, 0, 0), (255, 215, 0),
    ];

    /// <summary>
    /// The fixed palette: index i &lt; 216 is cube colour (i / 36, i / 6 % 6, i % 6) * 51;
    /// 216..247 are greys; 248..255 are the named scene colours.
    /// </summary>
    public static byte[] Palette { get; } = BuildPalette();

    /// <summary>Encodes frames (all the same size) and writes the file atomically.</summary>
    public static void Write(string path, IReadOnlyList<RgbFrame> frames, int delayCentiseconds = 10)
        => AtomicFile.WriteAllBytes(path, Encode(frames, delayCentiseconds));

    public static byte[] Encode(IReadOnlyList<RgbFrame> frames, int delayCentiseconds = 10)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("A GIF needs at least one frame; received none.", nameof(frames));
        }

        if (delayCentiseconds is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(delayCentiseconds), delayCentiseconds, "Delay must fit in 16 bits.");
        }

        int w = frames[0].Width, h = frames[0].Height;
        if (w is <= 0 or > ushort.MaxValue || h is <= 0 or > ushort.MaxValue)
        {
            throw new ArgumentException($"Frame size must be in [1, 65535]; received {w} x {h}.", nameof(frames));
        }

        using var ms = new MemoryStream();
        ms.Write("GIF89a"u8);
        WriteU16(ms, w);
        WriteU16(ms, h);
        ms.WriteByte(0xF7); // global colour table present, 8-bit colour resolution, 2^(7+1) = 256 entries
        ms.WriteByte(0);    // background colour index
        ms.WriteByte(0);    // no aspect ratio
        ms.Write(Palette);
        // NETSCAPE2.0 application extension: loop forever.
        ms.Write([0x21, 0xFF, 0x0B]);
        ms.Write("NETSCAPE2.0"u8);
        ms.Write([0x03, 0x01, 0x00, 0x00, 0x00]);

        var indices = new byte[w * h];
        foreach (var frame in frames)
        {
            if (frame.Width != w || frame.Height != h || frame.Rgb.Length != w * h * 3)
            {
                throw new ArgumentException($"All frames must be {w} x {h} RGB; received {frame.Width} x {frame.Height} with {frame.Rgb.Length} bytes.", nameof(frames));
            }

            for (int i = 0; i < indices.Length; i++)
            {
                indices[i] = NearestIndex(frame.Rgb[3 * i], frame.Rgb[(3 * i) + 1], frame.Rgb[(3 * i) + 2]);
            }

            // Graphic control extension: no transparency, disposal "do not dispose", delay.
            ms.Write([0x21, 0xF9, 0x04, 0x04]);
            WriteU16(ms, delayCentiseconds);
            ms.Write([0x00, 0x00]);
            // Image descriptor: full canvas, no local colour table, not interlaced.
            ms.WriteByte(0x2C);
            WriteU16(ms, 0);
            WriteU16(ms, 0);
            WriteU16(ms, w);
            WriteU16(ms, h);
            ms.WriteByte(0);
            ms.WriteByte(MinCodeSize);
            WriteSubBlocks(ms, Lzw(indices));
        }

        ms.WriteByte(0x3B); // trailer
        return ms.ToArray();
    }

    /// <summary>Palette index of the colour: an exact named colour if it is one, else the nearer of the cube and grey ramp.</summary>
    public static byte NearestIndex(byte r, byte g, byte b)
    {
        for (int i = 0; i < Named.Length; i++)
        {
            if (Named[i] == (r, g, b))
            {
                return (byte)(NamedStart + i);
            }
        }

        int ri = (r + 25) / 51, gi = (g + 25) / 51, bi = (b + 25) / 51;
        int cube = (ri * 36) + (gi * 6) + bi;
        int cubeErr = Sq(r - (ri * 51)) + Sq(g - (gi * 51)) + Sq(b - (bi * 51));
        int gIdx = Math.Clamp((int)Math.Round((r + g + b) / 3.0 * (Greys - 1) / 255.0), 0, Greys - 1);
        int gv = gIdx * 255 / (Greys - 1);
        int greyErr = Sq(r - gv) + Sq(g - gv) + Sq(b - gv);
        return (byte)(greyErr < cubeErr ? CubeSize + gIdx : cube);
    }

    private static int Sq(int v) => v * v;

    private static byte[] BuildPalette()
    {
        var p = new byte[256 * 3];
        for (int i = 0; i < CubeSize; i++)
        {
            p[3 * i] = (byte)(i / 36 * 51);
            p[(3 * i) + 1] = (byte)(i / 6 % 6 * 51);
            p[(3 * i) + 2] = (byte)(i % 6 * 51);
        }

        for (int i = 0; i < Greys; i++)
        {
            byte v = (byte)(i * 255 / (Greys - 1));
            p[3 * (CubeSize + i)] = v;
            p[(3 * (CubeSize + i)) + 1] = v;
            p[(3 * (CubeSize + i)) + 2] = v;
        }

        for (int i = 0; i < Named.Length; i++)
        {
            p[3 * (NamedStart + i)] = Named[i].R;
            p[(3 * (NamedStart + i)) + 1] = Named[i].G;
            p[(3 * (NamedStart + i)) + 2] = Named[i].B;
        }

        return p;
    }

    /// <summary>
    /// GIF LZW: codes are packed least-significant bit first. The code size grows after the
    /// table gains entry 2^size (so encoder and decoder agree), and a clear code resets the
    /// table before it would exceed 12-bit codes.
    /// </summary>
    private static byte[] Lzw(byte[] indices)
    {
        var output = new List<byte>(indices.Length / 2);
        int bitBuffer = 0, bitCount = 0;
        int codeSize = MinCodeSize + 1;
        int next = EndCode + 1;
        var table = new Dictionary<int, int>(MaxCodes);

        void Emit(int code)
        {
            bitBuffer |= code << bitCount;
            bitCount += codeSize;
            while (bitCount >= 8)
            {
                output.Add((byte)(bitBuffer & 0xFF));
                bitBuffer >>= 8;
                bitCount -= 8;
            }
        }

        Emit(ClearCode);
        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int c = indices[i];
            int key = (prefix << 8) | c;
            if (table.TryGetValue(key, out int code))
            {
                prefix = code;
                continue;
            }

            Emit(prefix);
            table[key] = next++;
            if (next > (1 << codeSize) && codeSize < 12)
            {
                codeSize++;
            }

            if (next >= MaxCodes - 1)
            {
                Emit(ClearCode);
                table.Clear();
                next = EndCode + 1;
                codeSize = MinCodeSize + 1;
            }

            prefix = c;
        }

        Emit(prefix);
        // The decoder adds a table entry on reading that last code and may widen its codes before
        // the end code, so mirror the growth rule once more without storing the entry.
        if (next + 1 > (1 << codeSize) && codeSize < 12)
        {
            codeSize++;
        }

        Emit(EndCode);
        if (bitCount > 0)
        {
            output.Add((byte)(bitBuffer & 0xFF));
        }

        return [.. output];
    }

    private static void WriteSubBlocks(Stream s, byte[] data)
    {
        for (int i = 0; i < data.Length; i += 255)
        {
            int n = Math.Min(255, data.Length - i);
            s.WriteByte((byte)n);
            s.Write(data, i, n);
        }

        s.WriteByte(0);
    }

    private static void WriteU16(Stream s, int v)
    {
        s.WriteByte((byte)(v & 0xFF));
        s.WriteByte((byte)((v >> 8) & 0xFF));
    }
}
