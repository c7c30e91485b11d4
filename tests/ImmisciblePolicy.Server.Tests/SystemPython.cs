using System.Diagnostics;
using System.Text;

namespace ImmisciblePolicy.Server.Tests;

/// <summary>
/// Runs Debian's /usr/bin/python3 (python3 on PATH may be a pyenv build without Debian packages) for the
/// outside-peer tests. Missing modules FAIL the test with the exact apt-get line: CI must install
/// python3-zmq python3-msgpack python3-grpcio python3-grpc-tools python3-protobuf.
/// </summary>
internal static class SystemPython
{
    public const string Interpreter = "/usr/bin/python3";

    public const string InstallHint = "apt-get install -y python3-zmq python3-msgpack python3-grpcio python3-grpc-tools python3-protobuf";

    /// <summary>Fails the test unless every module imports.</summary>
    public static void Require(params string[] modules)
    {
        if (!File.Exists(Interpreter)) Assert.Fail($"{Interpreter} is missing; install Debian's python3 and: {InstallHint}");
        var (code, _, err) = Run(["-c", "import " + string.Join(", ", modules)], "", TimeSpan.FromSeconds(30));
        if (code != 0) Assert.Fail($"python modules {string.Join(", ", modules)} are missing ({err.Trim()}); install them: {InstallHint}");
    }

    /// <summary>Starts a python process; the caller reads its output.</summary>
    public static Process Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {Interpreter}");
    }

    /// <summary>Runs to completion (killed after <paramref name="timeout"/>): exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, string stdin, TimeSpan timeout)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
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

    public static string Peer(string script) => Path.Combine(RepositoryRoot(), "tests", "peers", script);

    public static string Describe(int code, string stdout, string stderr) =>
        new StringBuilder().Append("exit ").Append(code).Append("; stdout: ").Append(stdout).Append("; stderr: ").Append(stderr).ToString();
}
