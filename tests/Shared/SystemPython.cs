using System.Diagnostics;
using System.Text;

namespace ImmisciblePolicy.Tests.Shared;

/// <summary>
/// Debian's /usr/bin/python3 and the peer scripts of tests/peers, for the outside-peer tests (python3 on PATH may be
/// a pyenv build without Debian packages). A missing module FAILS the test with the apt-get line that installs it;
/// tests/run installs every peer. Linked into each test project that runs a Python peer.
/// </summary>
internal static class SystemPython
{
    public const string Interpreter = "/usr/bin/python3";

    // Import name -> Debian package, for the install line of a failed Require.
    private static readonly Dictionary<string, string> Packages = new()
    {
        ["zmq"] = "python3-zmq", ["msgpack"] = "python3-msgpack", ["grpc"] = "python3-grpcio", ["grpc_tools"] = "python3-grpc-tools",
        ["google.protobuf"] = "python3-protobuf", ["numpy"] = "python3-numpy", ["pandas"] = "python3-pandas", ["torch"] = "python3-torch",
        ["torchvision"] = "python3-torchvision", ["onnx"] = "python3-onnx", ["scipy"] = "python3-scipy", ["shapely"] = "python3-shapely",
        ["yaml"] = "python3-yaml", ["PIL"] = "python3-pil", ["cv2"] = "python3-opencv", ["pygame"] = "python3-pygame",
    };

    /// <summary>The apt-get line that installs the Debian packages of these import names.</summary>
    public static string InstallHint(IEnumerable<string> modules) =>
        "apt-get install -y " + string.Join(' ', modules.Select(m => Packages.GetValueOrDefault(m, "python3-" + m)).Distinct()) + " (tests/run installs every peer)";

    /// <summary>Fails the test unless every module imports, naming the Debian packages to install.</summary>
    public static void Require(params string[] modules)
    {
        if (!File.Exists(Interpreter)) Assert.Fail($"{Interpreter} is missing; install Debian's python3 and: {InstallHint(modules)}");
        var (code, _, err) = Run(["-c", "import " + string.Join(", ", modules)]);
        if (code != 0) Assert.Fail($"python modules {string.Join(", ", modules)} are missing ({err.Trim()}); install them: {InstallHint(modules)}");
    }

    /// <summary>Starts a python process with redirected streams; the caller reads its output.</summary>
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

    /// <summary>Runs to completion with <paramref name="stdin"/> as input, killed after <paramref name="timeout"/> (default a minute): exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, string stdin = "", TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(1);
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"python did not finish within {limit.TotalSeconds} s; stderr: {stderr.Result}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs tests/peers/<paramref name="script"/> (at most 3 minutes) and returns its stdout; a non-zero exit fails the test.</summary>
    public static string RunPeer(string script, params string[] args)
    {
        var (code, stdout, stderr) = Run([Peer(script), .. args], timeout: TimeSpan.FromMinutes(3));
        if (code != 0) Assert.Fail($"{script} {string.Join(' ', args)} failed (exit {code}):\n{stderr}\n{stdout}");
        return stdout;
    }

    /// <summary>The repository root (holds ImmisciblePolicy.sln), found upwards from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImmisciblePolicy.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no ImmisciblePolicy.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>A script of tests/peers.</summary>
    public static string Peer(string script) => Path.Combine(RepositoryRoot(), "tests", "peers", script);

    /// <summary>A process result for an assertion message.</summary>
    public static string Describe(int code, string stdout, string stderr) =>
        new StringBuilder().Append("exit ").Append(code).Append("; stdout: ").Append(stdout).Append("; stderr: ").Append(stderr).ToString();
}
