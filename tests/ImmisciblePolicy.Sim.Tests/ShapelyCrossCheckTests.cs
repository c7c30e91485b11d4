using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Tests;

/// <summary>
/// Cross-checks coverage against shapely, the library gym-pusht uses (PushTEnv._get_coverage).
/// Requires python3 with shapely (Debian: apt-get install -y python3-shapely); missing tools FAIL.
/// </summary>
public sealed class ShapelyCrossCheckTests
{
    // A pyenv or venv python3 on PATH may lack the Debian package, so the system interpreter is tried too.
    private static readonly string[] Interpreters = ["python3", "/usr/bin/python3"];

    [Fact]
    public void Coverage_MatchesShapely_OnRandomPoses()
    {
        var goal = new Pose2(256, 256, Math.PI / 4);
        var rng = new System.Random(2024);
        var poses = new List<Pose2>();
        for (int i = 0; i < 40; i++)
        {
            // Poses near the goal so most pairs overlap partially.
            poses.Add(new Pose2(256 + ((rng.NextDouble() - 0.5) * 120), 256 + ((rng.NextDouble() - 0.5) * 120), (Math.PI / 4) + ((rng.NextDouble() - 0.5) * 2)));
        }

        var script = new StringBuilder();
        script.AppendLine("import sys");
        script.AppendLine("from shapely.geometry import Polygon, MultiPolygon");
        script.AppendLine("def t(parts): return MultiPolygon([Polygon(p) for p in parts])");
        script.AppendLine("g = t(" + PartsLiteral(goal) + ")");
        foreach (var p in poses)
        {
            script.AppendLine("b = t(" + PartsLiteral(p) + "); print(repr(g.intersection(b).area / g.area))");
        }

        string output = RunPython(script.ToString());
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(poses.Count, lines.Length);
        int partial = 0;
        for (int i = 0; i < poses.Count; i++)
        {
            double expected = double.Parse(lines[i], CultureInfo.InvariantCulture);
            double ours = TShape.Coverage(poses[i], goal);
            Assert.True(Math.Abs(expected - ours) < 1e-9, $"pose {poses[i]}: shapely {expected}, ours {ours}");
            partial += expected is > 0.01 and < 0.99 ? 1 : 0;
        }

        Assert.True(partial > 20, $"only {partial} partial overlaps; the check would be weak");
    }

    private static string PartsLiteral(Pose2 pose) =>
        "[" + string.Join(", ", TShape.At(pose).Select(poly =>
            "[" + string.Join(", ", poly.Vertices.Select(v => FormattableString.Invariant($"({v.X:R}, {v.Y:R})"))) + "]")) + "]";

    private static string RunPython(string script)
    {
        var failures = new StringBuilder();
        foreach (var exe in Interpreters)
        {
            try
            {
                var psi = new ProcessStartInfo(exe)
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add(script);
                using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
                var stdout = proc.StandardOutput.ReadToEndAsync();
                var stderr = proc.StandardError.ReadToEndAsync();
                proc.WaitForExit(60_000);
                if (proc.ExitCode == 0)
                {
                    return stdout.Result;
                }

                failures.AppendLine(CultureInfo.InvariantCulture, $"{exe}: exit {proc.ExitCode}: {stderr.Result.Trim()}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                failures.AppendLine(CultureInfo.InvariantCulture, $"{exe}: {e.Message}");
            }
        }

        Assert.Fail("The shapely cross-check needs python3 with shapely (Debian: apt-get install -y python3-shapely). Attempts:\n" + failures);
        return string.Empty;
    }
}
