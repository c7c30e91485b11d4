using System.CommandLine;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Onnx;
using ImmisciblePolicy.Policy;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>Options shared by several commands, with one definition each.</summary>
internal static class CommonOptions
{
    public static Option<int?> Threads() => new("--threads")
    {
        Description = "libtorch intra-op threads (default: IMMISCIBLE_THREADS or all cores)",
    };

    public static Option<PolicyEngine> Engine() => new("--engine")
    {
        Description = "planning engine of the denoiser: Torch (TorchSharp) or Onnx (ONNX Runtime, docs/onnx.md)",
        DefaultValueFactory = _ => PolicyEngine.Torch,
    };

    public static Option<OnnxDevice> Device() => new("--device")
    {
        Description = "device of the ONNX engine: Cpu, or Cuda (needs Microsoft.ML.OnnxRuntime.Gpu.Linux, docs/onnx.md; untested here)",
        DefaultValueFactory = _ => OnnxDevice.Cpu,
    };

    /// <summary>ONNX Runtime settings from the command line: as many intra-op threads as libtorch gets.</summary>
    public static OnnxEngineOptions OnnxOptions(int threads, OnnxDevice device) =>
        new() { IntraOpThreads = Math.Max(1, threads), Device = device };

    public static Option<string> Task() => new("--task")
    {
        Description = "task: pusht or bimodal",
        DefaultValueFactory = _ => "pusht",
    };

    /// <summary>A Push-T observation layout name (state, env-state, keypoints); null when not given.</summary>
    public static Option<string?> Observation(string description) => new("--obs") { Description = description };

    public static Option<NoiseAssignmentMethod> Method() => new("--method")
    {
        Description = "noise pairing: Vanilla, LinearAssignment, Knn or ObservationAwareAssignment (policies only)",
        DefaultValueFactory = _ => NoiseAssignmentMethod.Knn,
    };

    public static Option<int> K() => new("--k")
    {
        Description = "KNN candidates per sample (2 for policies, as published)",
        DefaultValueFactory = _ => 2,
    };

    public static Option<double> ConditionWeight() => new("--cond-weight")
    {
        Description = "ObservationAwareAssignment: weight lambda of the observation distance in the assignment cost (0 = plain assignment)",
        DefaultValueFactory = _ => new NoiseAssignmentConfig().ConditionWeight,
    };

    public static Option<double> DataScale() => new("--data-scale")
    {
        Description = "multiply normalised actions by this during training and divide samples by it (1 = off)",
        DefaultValueFactory = _ => 1.0,
    };

    public static Option<long> WarmupSteps() => new("--noise-warmup")
    {
        Description = "vanilla noise for the first N steps, then the chosen pairing",
        DefaultValueFactory = _ => 0L,
    };

    /// <summary>Formats a duration as m:ss or h:mm:ss.</summary>
    public static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");

    /// <summary>Prints a line in place of a progress bar: works in terminals and in CI logs alike.</summary>
    public static Action<int, int> Counter(string label)
    {
        int last = -1;
        var gate = new object();
        return (done, total) =>
        {
            lock (gate)
            {
                int pct = (int)(100L * done / total);
                if (pct / 10 == last / 10 && done != total) return;
                last = pct;
                Console.WriteLine($"  {label}: {done}/{total} ({pct}%)");
            }
        };
    }
}
