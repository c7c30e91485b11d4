using System.Diagnostics;

namespace ImmisciblePolicy.Core.Tests.Training;

/// <summary>
/// Runs small python3 + numpy scripts as an independent oracle. CI installs python3-numpy, so a missing numpy
/// is a failure with instructions, never a silent skip.
/// </summary>
internal static class PythonNumpy
{
    /// <summary>Overrides the interpreter search (a path or command name).</summary>
    public const string PythonVariable = "IMMISCIBLE_PYTHON";

    private static readonly Lazy<string> Interpreter = new(FindInterpreter);

    /// <summary>Runs <paramref name="script"/> with <paramref name="args"/>; returns stdout, fails the test on error.</summary>
    public static string Run(string script, params string[] args)
    {
        var (code, stdout, stderr) = Execute(Interpreter.Value, script, args);
        if (code != 0)
            Assert.Fail($"python script failed (exit {code}) with {Interpreter.Value}:\n{stderr}");
        return stdout;
    }

    private static string FindInterpreter()
    {
        var candidates = new List<string>();
        var configured = Environment.GetEnvironmentVariable(PythonVariable);
        if (!string.IsNullOrWhiteSpace(configured)) candidates.Add(configured);
        // PATH's python3 first; Debian's system interpreter is where apt's python3-numpy lives when a version
        // manager (pyenv) shadows it on PATH.
        candidates.AddRange(["python3", "/usr/bin/python3"]);
        var tried = new List<string>();
        foreach (var candidate in candidates.Distinct())
        {
            try
            {
                var (code, stdout, stderr) = Execute(candidate, "import numpy; print(numpy.__version__)", []);
                if (code == 0) return candidate;
                tried.Add($"{candidate}: {stderr.Trim().Split('\n').LastOrDefault()}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                tried.Add($"{candidate}: {e.Message}");
            }
        }
        Assert.Fail(
            "these tests need python3 with numpy as an independent oracle (CI installs python3-numpy: " +
            $"apt-get install -y python3-numpy, or set {PythonVariable}). Tried: " + string.Join("; ", tried));
        return "";
    }

    private static (int Code, string Stdout, string Stderr) Execute(string python, string script, string[] args)
    {
        var info = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {python}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{python} did not finish within 60 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
