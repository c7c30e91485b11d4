using System.Collections.Concurrent;
using System.Diagnostics;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// The <c>ffmpeg</c> program that encodes and decodes the mp4 files of LeRobot `video` features (Debian package
/// <c>ffmpeg</c>; 5.1 is tested). Found, in order, at the path a caller configures, at <see cref="ProgramVariable"/>
/// (a path or a command name), or as <c>ffmpeg</c> on PATH. A missing program is a <see cref="FileNotFoundException"/>
/// that names the feature that needed it, where it was looked for and how to install it.
/// </summary>
public sealed class FfmpegProgram
{
    /// <summary>Environment variable naming the ffmpeg program (a path, or a command looked up on PATH).</summary>
    public const string ProgramVariable = "IMMISCIBLE_FFMPEG";

    private static readonly ConcurrentDictionary<string, Lazy<HashSet<string>>> Encoders = new(StringComparer.Ordinal);

    private FfmpegProgram(string path) => Path = path;

    /// <summary>Full path of the program.</summary>
    public string Path { get; }

    /// <summary>
    /// Finds ffmpeg or throws <see cref="FileNotFoundException"/>.
    /// </summary>
    /// <param name="configured">a path or command name from options; null to use <see cref="ProgramVariable"/> or PATH.</param>
    /// <param name="purpose">what needs it, e.g. "reading the video feature 'observation.image' (videos/...mp4)".</param>
    public static FfmpegProgram Locate(string? configured, string purpose)
    {
        string? variable = Environment.GetEnvironmentVariable(ProgramVariable);
        (string name, string origin) = !string.IsNullOrWhiteSpace(configured) ? (configured, "as configured")
            : !string.IsNullOrWhiteSpace(variable) ? (variable, $"from {ProgramVariable}")
            : ("ffmpeg", "on PATH");
        string? found = Resolve(name);
        if (found is null)
        {
            throw new FileNotFoundException(
                $"{purpose} needs the 'ffmpeg' program, which was not found ('{name}' {origin}). Install it (Debian/Ubuntu: " +
                $"apt-get install ffmpeg) or set {ProgramVariable} to its path.", name);
        }
        return new FfmpegProgram(found);
    }

    /// <summary>Whether this ffmpeg can encode with <paramref name="encoder"/> (as listed by <c>ffmpeg -encoders</c>).</summary>
    public bool HasEncoder(string encoder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(encoder);
        HashSet<string> names = Encoders.GetOrAdd(Path, p => new Lazy<HashSet<string>>(() => ListEncoders(p))).Value;
        return names.Contains(encoder);
    }

    /// <summary>Starts ffmpeg with <paramref name="arguments"/>, stdin/stdout/stderr redirected (binary stdout).</summary>
    internal Process Start(IEnumerable<string> arguments, bool redirectInput)
    {
        var info = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        return Process.Start(info) ?? throw new IOException($"could not start '{Path}'");
    }

    private static HashSet<string> ListEncoders(string path)
    {
        var program = new FfmpegProgram(path);
        using Process process = program.Start(["-hide_banner", "-nostdin", "-encoders"], redirectInput: false);
        Task<string> error = process.StandardError.ReadToEndAsync();
        string listing = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        _ = error.Result;
        // Lines look like " V....D libx264              libx264 H.264 / AVC / ...": flags, then the encoder name.
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in listing.Split('\n'))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0].Length == 6 && parts[0][0] is 'V' or 'A' or 'S')
                names.Add(parts[1]);
        }
        return names;
    }

    /// <summary>A path with a directory part must be an existing file; a bare name is searched on PATH.</summary>
    private static string? Resolve(string name)
    {
        if (name.Contains(System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || name.Contains(System.IO.Path.AltDirectorySeparatorChar, StringComparison.Ordinal))
            return File.Exists(name) ? System.IO.Path.GetFullPath(name) : null;
        string[] directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        string[] suffixes = OperatingSystem.IsWindows() ? [".exe", ""] : [""];
        foreach (string directory in directories)
        {
            foreach (string suffix in suffixes)
            {
                string candidate = System.IO.Path.Combine(directory, name + suffix);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }
}
