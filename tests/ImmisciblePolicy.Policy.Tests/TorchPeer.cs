using System.Diagnostics;

namespace ImmisciblePolicy.Policy.Tests;

/// <summary>
/// Runs a peer script of tests/peers with Debian's /usr/bin/python3 (python3 on PATH may be a pyenv build without
/// Debian packages). A missing module FAILS the test with the apt-get line (tests/run installs python3-torch and
/// python3-torchvision).
/// </summary>
internal static class TorchPeer
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs tests/peers/<paramref name="script"/> with <paramref name="args"/>; returns stdout or fails the test.</summary>
    public static string Run(string script, params string[] args)
    {
        if (!File.Exists(Interpreter)) Assert.Fail($"{Interpreter} is missing; install: apt-get install -y python3-torch python3-torchvision");
        var info = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepositoryRoot(), "tests", "peers", script));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Interpreter}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{script} did not finish within 180 s");
        }
        if (p.ExitCode != 0)
        {
            var err = stderr.Result;
            if (err.Contains("ModuleNotFoundError", StringComparison.Ordinal))
                Assert.Fail($"{script} needs Debian's python3-torch and python3-torchvision (apt-get install -y python3-torch python3-torchvision): {err}");
            Assert.Fail($"{script} failed (exit {p.ExitCode}): {err}");
        }
        return stdout.Result;
    }

    /// <summary>The repository root (holds ImmisciblePolicy.sln), found upwards from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImmisciblePolicy.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no ImmisciblePolicy.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Reads a little-endian float32 file the peer wrote.</summary>
    public static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * 4);
        return values;
    }
}
