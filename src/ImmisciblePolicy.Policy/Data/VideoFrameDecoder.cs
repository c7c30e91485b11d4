using System.Globalization;
using System.Text.RegularExpressions;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Decodes episodes out of LeRobot video files with the ffmpeg program and keeps the most recently used ones
/// (a bounded LRU cache, <see cref="CacheBytes"/>), so a dataset of videos is read while only a few episodes are
/// ever held as raw frames. An episode is decoded in one ffmpeg run:
/// <code>
/// ffmpeg -copyts -ss (t0 - 0.5 / fps) -i file.mp4 -map 0:v:0 -frames:v N -vf showinfo -fps_mode passthrough
///        -f rawvideo -pix_fmt rgb24 pipe:1
/// </code>
/// The input seek jumps to the keyframe before t0 and decodes forward, dropping frames before the seek point;
/// <c>-copyts</c> keeps the file's own timestamps, which showinfo reports (pts in the stream's time base) and which
/// are checked against the requested ones within <see cref="ToleranceSeconds"/>, as LeRobot's decoders check them
/// (video_utils.py decode_video_frames_pyav: frame pts x time_base against from_timestamp + timestamp, tolerance_s
/// 1e-4 by default). Safe for concurrent readers; one decode per episode even when several ask at once.
/// </summary>
public sealed partial class VideoFrameDecoder
{
    private readonly object gate = new();
    private readonly Dictionary<VideoImageFrames, LinkedListNode<Entry>> entries = new(ReferenceEqualityComparer.Instance);
    private readonly LinkedList<Entry> recency = new();
    private long cachedBytes;

    /// <param name="ffmpeg">the program to decode with.</param>
    /// <param name="cacheBytes">raw frame bytes kept across episodes (least recently used dropped first).</param>
    /// <param name="toleranceSeconds">largest allowed gap between a requested and a decoded frame timestamp.</param>
    public VideoFrameDecoder(FfmpegProgram ffmpeg, long cacheBytes = 256L << 20, double toleranceSeconds = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(ffmpeg);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheBytes);
        if (!(toleranceSeconds > 0))
            throw new ArgumentOutOfRangeException(nameof(toleranceSeconds), toleranceSeconds, "expected a positive tolerance in seconds");
        Ffmpeg = ffmpeg;
        CacheBytes = cacheBytes;
        ToleranceSeconds = toleranceSeconds;
    }

    public FfmpegProgram Ffmpeg { get; }

    /// <summary>Upper bound on the raw frame bytes kept (the episode being read is always kept while it is read).</summary>
    public long CacheBytes { get; }

    public double ToleranceSeconds { get; }

    /// <summary>Episodes decoded so far (cache misses), for tests and diagnostics.</summary>
    public int Decodes { get; private set; }

    /// <summary>Raw frame bytes currently cached.</summary>
    public long CachedBytes
    {
        get { lock (gate) return cachedBytes; }
    }

    /// <summary>All frames of <paramref name="clip"/>, (N, H, W, C) bytes, from the cache or decoded now.</summary>
    internal byte[] Frames(VideoImageFrames clip)
    {
        Entry entry;
        lock (gate)
        {
            if (entries.TryGetValue(clip, out LinkedListNode<Entry>? node))
            {
                recency.Remove(node);
                recency.AddFirst(node);
                entry = node.Value;
            }
            else
            {
                entry = new Entry(clip, new Lazy<byte[]>(() => Decode(clip), LazyThreadSafetyMode.ExecutionAndPublication));
                entries[clip] = recency.AddFirst(entry);
            }
        }

        byte[] frames;
        try
        {
            frames = entry.Frames.Value;
        }
        catch
        {
            lock (gate)
            {
                if (entries.TryGetValue(clip, out var node) && ReferenceEquals(node.Value, entry))
                {
                    recency.Remove(node);
                    entries.Remove(clip);
                }
            }
            throw;
        }

        lock (gate)
        {
            if (!entry.Counted && entries.TryGetValue(clip, out var current) && ReferenceEquals(current.Value, entry))
            {
                entry.Counted = true;
                cachedBytes += frames.Length;
            }
            // Drop least recently used episodes beyond the budget, never the one just read.
            while (cachedBytes > CacheBytes && recency.Last is { } last && !ReferenceEquals(last.Value, entry))
            {
                recency.RemoveLast();
                entries.Remove(last.Value.Clip);
                if (last.Value.Counted)
                    cachedBytes -= last.Value.Frames.Value.Length;
            }
        }
        return frames;
    }

    private byte[] Decode(VideoImageFrames clip)
    {
        ImageFeature feature = clip.Feature;
        int count = clip.Count;
        double first = clip.Timestamp(0);
        double seek = Math.Max(0, first - (0.5 / clip.Fps));
        string[] arguments =
        [
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
            "-copyts", "-ss", seek.ToString("0.#########", CultureInfo.InvariantCulture), "-i", clip.Path,
            "-map", "0:v:0", "-an", "-sn", "-dn",
            "-frames:v", count.ToString(CultureInfo.InvariantCulture),
            "-vf", "showinfo", "-fps_mode", "passthrough",
            "-f", "rawvideo", "-pix_fmt", feature.Channels == 3 ? "rgb24" : "gray", "pipe:1",
        ];
        using var process = Ffmpeg.Start(arguments, redirectInput: false);
        Task<string> log = process.StandardError.ReadToEndAsync();
        var frames = new byte[checked((long)count * feature.FrameBytes)];
        int read = 0;
        Stream output = process.StandardOutput.BaseStream;
        while (read < frames.Length)
        {
            int n = output.Read(frames, read, frames.Length - read);
            if (n == 0)
                break;
            read += n;
        }
        output.CopyTo(Stream.Null);
        process.WaitForExit();
        string messages = log.Result;
        lock (gate)
            Decodes++;

        if (process.ExitCode != 0)
            throw Error(clip, $"ffmpeg exited with code {process.ExitCode}: {Tail(messages)}");
        var decoded = ParseShowinfo(messages);
        if (decoded.Size is { } size && (size.Width != feature.Width || size.Height != feature.Height))
            throw Error(clip, $"the video holds {size.Height} x {size.Width} frames but the feature declares {feature.ShapeText} (H, W, C)");
        int whole = read / feature.FrameBytes;
        if (whole < count)
        {
            throw Error(clip,
                $"expected {count} frames from {first.ToString("R", CultureInfo.InvariantCulture)} s but the video yields {whole} " +
                "(episode timestamps beyond the end of the file?)");
        }
        if (decoded.Times.Count < count)
            throw Error(clip, $"ffmpeg reported the timestamps of {decoded.Times.Count} frames, expected {count}: {Tail(messages)}");
        for (int i = 0; i < count; i++)
        {
            double expected = clip.Timestamp(i);
            if (Math.Abs(decoded.Times[i] - expected) > ToleranceSeconds)
            {
                throw Error(clip,
                    $"frame {i} should be at {expected.ToString("R", CultureInfo.InvariantCulture)} s but the video's frame there is at " +
                    $"{decoded.Times[i].ToString("R", CultureInfo.InvariantCulture)} s (tolerance {ToleranceSeconds} s): the episode's " +
                    "from_timestamp and timestamps do not match the video's frames");
            }
        }
        return frames;
    }

    /// <summary>showinfo's "config in time_base: N/D" and per-frame "n: k pts: P ... s:WxH" lines.</summary>
    private static (List<double> Times, (int Width, int Height)? Size) ParseShowinfo(string messages)
    {
        long numerator = 0, denominator = 1;
        var times = new List<double>();
        (int, int)? size = null;
        foreach (string line in messages.Split('\n'))
        {
            if (!line.Contains("showinfo", StringComparison.Ordinal))
                continue;
            Match config = TimeBaseLine().Match(line);
            if (config.Success)
            {
                numerator = long.Parse(config.Groups[1].Value, CultureInfo.InvariantCulture);
                denominator = long.Parse(config.Groups[2].Value, CultureInfo.InvariantCulture);
                continue;
            }
            Match frame = FrameLine().Match(line);
            if (frame.Success && denominator != 0)
            {
                long pts = long.Parse(frame.Groups[1].Value, CultureInfo.InvariantCulture);
                times.Add((double)pts * numerator / denominator);
                size ??= (int.Parse(frame.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(frame.Groups[3].Value, CultureInfo.InvariantCulture));
            }
        }
        return (times, size);
    }

    [GeneratedRegex(@"config in time_base:\s*(\d+)/(\d+)")]
    private static partial Regex TimeBaseLine();

    [GeneratedRegex(@"\bn:\s*\d+\s+pts:\s*(-?\d+)\b.*\bs:(\d+)x(\d+)")]
    private static partial Regex FrameLine();

    private static string Tail(string messages)
    {
        string text = messages.Trim();
        return text.Length > 1500 ? "..." + text[^1500..] : text;
    }

    private static InvalidDataException Error(VideoImageFrames clip, string problem) =>
        LeRobotFormatError.Create(clip.RelativePath, $"video feature '{clip.Feature.Name}', {clip.EpisodeDescription}: {problem}");

    private sealed class Entry(VideoImageFrames clip, Lazy<byte[]> frames)
    {
        public VideoImageFrames Clip { get; } = clip;
        public Lazy<byte[]> Frames { get; } = frames;
        public bool Counted { get; set; }
    }
}
