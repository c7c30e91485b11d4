using System.Diagnostics;
using System.Globalization;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// One mp4 being written by an ffmpeg process: raw H x W x C frames go in on stdin (<c>-f rawvideo -pix_fmt rgb24</c>
/// or <c>gray</c> at the dataset's fps), so frame k of the file gets the timestamp k / fps. Many episodes go into
/// one file back to back, as LeRobot concatenates them (dataset_writer.py _save_episode_video). Nothing but the
/// frame being written is held in memory.
/// </summary>
internal sealed class VideoFileEncoder : IDisposable
{
    private readonly Process process;
    private readonly Stream input;
    private readonly Task<string> errors;
    private readonly string relativePath;
    private bool finished;

    public VideoFileEncoder(FfmpegProgram ffmpeg, string path, string relativePath, ImageFeature feature, int fps, VideoEncoding encoding)
    {
        Path = path;
        this.relativePath = relativePath;
        Feature = feature;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        string[] arguments =
        [
            "-hide_banner", "-nostats", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", feature.Channels == 3 ? "rgb24" : "gray",
            "-s", $"{feature.Width.ToString(CultureInfo.InvariantCulture)}x{feature.Height.ToString(CultureInfo.InvariantCulture)}",
            "-r", fps.ToString(CultureInfo.InvariantCulture),
            "-i", "pipe:0",
            "-map", "0:v:0", "-an",
            .. encoding.CodecArguments(),
            // The index at the front, as LeRobot's concatenation writes it, so readers seek without scanning the file.
            "-movflags", "+faststart",
            // Hand every muxed packet to the file at once, so BytesOnDisk follows the encoder (rolling decisions).
            "-flush_packets", "1",
            "-f", "mp4", path,
        ];
        process = ffmpeg.Start(arguments, redirectInput: true);
        input = process.StandardInput.BaseStream;
        errors = process.StandardError.ReadToEndAsync();
        // ffmpeg writes nothing to stdout here; drain it anyway so it can never block.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
    }

    /// <summary>Full path of the mp4.</summary>
    public string Path { get; }

    public ImageFeature Feature { get; }

    /// <summary>Frames written so far; the next frame's timestamp is FramesWritten / fps.</summary>
    public int FramesWritten { get; private set; }

    /// <summary>Bytes ffmpeg has put on disk so far (trails the frames by the encoder's delay).</summary>
    public long BytesOnDisk => File.Exists(Path) ? new FileInfo(Path).Length : 0;

    public void WriteFrame(ReadOnlySpan<byte> frame)
    {
        if (frame.Length != Feature.FrameBytes)
            throw new ArgumentException($"expected a frame of {Feature.FrameBytes} bytes, received {frame.Length}", nameof(frame));
        try
        {
            input.Write(frame);
        }
        catch (IOException ex)
        {
            throw Failure($"ffmpeg stopped taking frames after {FramesWritten}", ex);
        }
        FramesWritten++;
    }

    /// <summary>Closes stdin and waits for ffmpeg to finish the file; throws with ffmpeg's messages if it failed.</summary>
    public void Finish()
    {
        if (finished)
            return;
        finished = true;
        try
        {
            input.Dispose();
        }
        catch (IOException ex)
        {
            throw Failure("ffmpeg failed while its input was closed", ex);
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw Failure($"ffmpeg exited with code {process.ExitCode}", null);
    }

    public void Dispose()
    {
        if (!finished)
        {
            finished = true;
            try
            {
                input.Dispose();
            }
            catch (IOException)
            {
                // Already failing; the process is stopped below.
            }
            if (!process.WaitForExit(5_000))
                process.Kill(entireProcessTree: true);
        }
        process.Dispose();
    }

    private IOException Failure(string what, Exception? inner)
    {
        if (!process.HasExited && !process.WaitForExit(5_000))
            process.Kill(entireProcessTree: true);
        string log = errors.Wait(5_000) ? errors.Result.Trim() : "";
        if (log.Length > 2000)
            log = "..." + log[^2000..];
        return new IOException(
            $"encoding camera feature '{Feature.Name}' into '{relativePath}': {what}{(log.Length > 0 ? $": {log}" : "")}", inner);
    }
}
