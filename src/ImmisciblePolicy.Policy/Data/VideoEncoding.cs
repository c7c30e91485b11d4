using System.Globalization;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// How camera features are encoded when a dataset is written with videos: LeRobot's VideoEncoderConfig
/// (huggingface/lerobot configs/video.py, get_codec_options). The defaults are LeRobot's: SVT-AV1 (libsvtav1,
/// which Debian's ffmpeg 5.1 has), yuv420p, a keyframe every 2 frames so any frame is cheap to seek to, CRF 30,
/// preset 12. libx264 (H.264) is the widely playable alternative. Decoding handles every codec ffmpeg reads, so
/// datasets encoded by LeRobot (AV1) and by this writer with any of these codecs read the same way.
/// </summary>
public sealed record VideoEncoding
{
    /// <summary>ffmpeg encoder: libsvtav1 (LeRobot's default), libaom-av1, libx264 or libx265.</summary>
    public string Codec { get; init; } = "libsvtav1";

    /// <summary>Pixel format of the stream (LeRobot: yuv420p; chroma is stored at half resolution).</summary>
    public string PixelFormat { get; init; } = "yuv420p";

    /// <summary>GOP size: a keyframe every this many frames (LeRobot: 2).</summary>
    public int Gop { get; init; } = 2;

    /// <summary>Constant rate factor; lower is better quality and larger files (LeRobot: 30).</summary>
    public int Crf { get; init; } = 30;

    /// <summary>Encoder preset: SVT-AV1 0-13 (LeRobot: 12), x264/x265 names such as "medium"; null for the encoder's default.</summary>
    public string? Preset { get; init; } = "12";

    /// <summary>SVT-AV1 fast-decode tuning 0-2 (LeRobot: 0); ignored by other encoders.</summary>
    public int FastDecode { get; init; }

    /// <summary>LeRobot's defaults for <paramref name="codec"/>: the preset is only set for SVT-AV1 (12).</summary>
    public static VideoEncoding For(string codec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(codec);
        var encoding = new VideoEncoding { Codec = codec, Preset = codec == "libsvtav1" ? "12" : null };
        encoding.Validate();
        return encoding;
    }

    /// <summary>The codec name ffprobe reports for <see cref="Codec"/> (info.json "video.codec": "av1", "h264", "hevc").</summary>
    public string CodecName => Codec switch
    {
        "libsvtav1" or "libaom-av1" => "av1",
        "libx264" => "h264",
        "libx265" => "hevc",
        _ => throw new ArgumentException($"unsupported video encoder '{Codec}': expected libsvtav1, libaom-av1, libx264 or libx265", nameof(Codec)),
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        _ = CodecName;
        if (string.IsNullOrWhiteSpace(PixelFormat))
            throw new ArgumentException("PixelFormat must name an ffmpeg pixel format such as yuv420p", nameof(PixelFormat));
        if (Gop < 1)
            throw new ArgumentException($"Gop must be at least 1, received {Gop}", nameof(Gop));
        if (Crf < 0 || Crf > 63)
            throw new ArgumentException($"Crf must be in [0, 63], received {Crf}", nameof(Crf));
        if (FastDecode is < 0 or > 2)
            throw new ArgumentException($"FastDecode must be 0, 1 or 2, received {FastDecode}", nameof(FastDecode));
    }

    /// <summary>The encoder options LeRobot's get_codec_options passes for this codec, as ffmpeg arguments.</summary>
    internal IEnumerable<string> CodecArguments()
    {
        yield return "-c:v";
        yield return Codec;
        yield return "-g";
        yield return Gop.ToString(CultureInfo.InvariantCulture);
        yield return "-crf";
        yield return Crf.ToString(CultureInfo.InvariantCulture);
        if (Preset is not null)
        {
            yield return "-preset";
            yield return Preset;
        }
        if (Codec == "libsvtav1")
        {
            yield return "-svtav1-params";
            yield return $"fast-decode={FastDecode.ToString(CultureInfo.InvariantCulture)}";
        }
        yield return "-pix_fmt";
        yield return PixelFormat;
    }
}
