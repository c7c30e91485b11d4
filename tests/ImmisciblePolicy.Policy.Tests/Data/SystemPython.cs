using System.Diagnostics;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>Runs the Debian system interpreter (/usr/bin/python3) with the peer scripts of tests/peers.</summary>
internal static class SystemPython
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Fails the test unless every module imports, naming the Debian packages to install.</summary>
    public static void Require(string installHint, params string[] modules)
    {
        if (!File.Exists(Interpreter)) Assert.Fail($"{Interpreter} is missing; install Debian's python3 and: apt-get install {installHint}");
        var (code, _, err) = Run(["-c", "import " + string.Join(", ", modules)], "");
        if (code != 0) Assert.Fail($"python modules {string.Join(", ", modules)} are missing ({err.Trim()}); install them: apt-get install {installHint}");
    }

    /// <summary>Runs to completion (killed after a minute): exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, string stdin)
    {
        var info = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Interpreter}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"python did not finish within a minute; stderr: {stderr.Result}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A script of tests/peers, found upwards from the test binaries.</summary>
    public static string Peer(string script)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImmisciblePolicy.sln"))) return Path.Combine(dir.FullName, "tests", "peers", script);
        throw new DirectoryNotFoundException($"no ImmisciblePolicy.sln above {AppContext.BaseDirectory}");
    }
}
