using System.Diagnostics;

namespace ImmisciblePolicy.Onnx.Tests;

/// <summary>
/// Debian's /usr/bin/python3 with python3-onnx and python3-torch, the outside peers of the ONNX tests (python3 on
/// PATH may be a pyenv build without Debian packages). A missing module FAILS the test with the apt-get line;
/// tests/run installs both.
/// </summary>
internal static class SystemPython
{
    public const string Interpreter = "/usr/bin/python3";

    public const string InstallHint = "apt-get install -y python3-onnx python3-torch python3-numpy (tests/run installs them)";

    /// <summary>Fails the test unless every module imports.</summary>
    public static void Require(params string[] modules)
    {
        if (!File.Exists(Interpreter)) Assert.Fail($"{Interpreter} is missing; install Debian's python3 and: {InstallHint}");
        var (code, _, err) = Run(["-c", "import " + string.Join(", ", modules)], TimeSpan.FromSeconds(60));
        if (code != 0) Assert.Fail($"python modules {string.Join(", ", modules)} are missing ({err.Trim()}); install them: {InstallHint}");
    }

    /// <summary>Runs tests/peers/<paramref name="script"/> and returns its stdout; a non-zero exit fails the test.</summary>
    public static string RunPeer(string script, params string[] args)
    {
        var (code, stdout, stderr) = Run([Path.Combine(RepositoryRoot(), "tests", "peers", script), .. args], TimeSpan.FromMinutes(3));
        if (code != 0) Assert.Fail($"{script} {string.Join(' ', args)} failed (exit {code}):\n{stderr}\n{stdout}");
        return stdout;
    }

    /// <summary>Runs to completion (killed after <paramref name="timeout"/>): exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Interpreter}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"python did not finish within {timeout.TotalSeconds} s; stderr: {stderr.Result}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The repository root (holds ImmisciblePolicy.sln), found upwards from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImmisciblePolicy.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no ImmisciblePolicy.sln above {AppContext.BaseDirectory}");
    }
}
