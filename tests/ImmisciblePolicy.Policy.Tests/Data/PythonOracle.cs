using System.Diagnostics;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>
/// Runs small python3 scripts with numpy and PIL (Debian python3-numpy, python3-pil; tests/run installs them) as
/// an independent oracle for what LeRobot's Python side computes and reads. A missing peer fails the test with
/// the package to install, never a silent skip.
/// </summary>
internal static class PythonOracle
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
        string? configured = Environment.GetEnvironmentVariable(PythonVariable);
        if (!string.IsNullOrWhiteSpace(configured))
            candidates.Add(configured);
        // PATH's python3 first; Debian's system interpreter is where apt's packages live when pyenv shadows it.
        candidates.AddRange(["python3", "/usr/bin/python3"]);
        var tried = new List<string>();
        foreach (string candidate in candidates.Distinct())
        {
            try
            {
                var (code, _, stderr) = Execute(candidate, "import numpy, PIL.Image", []);
                if (code == 0)
                    return candidate;
                tried.Add($"{candidate}: {stderr.Trim().Split('\n').LastOrDefault()}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                tried.Add($"{candidate}: {e.Message}");
            }
        }
        Assert.Fail(
            "these tests need python3 with numpy and PIL as an independent oracle (apt-get install -y python3-numpy python3-pil, " +
            $"or set {PythonVariable}). Tried: " + string.Join("; ", tried));
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
        foreach (string a in args)
            info.ArgumentList.Add(a);
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
