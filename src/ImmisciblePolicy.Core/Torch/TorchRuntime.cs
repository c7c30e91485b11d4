using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Torch;

/// <summary>
/// One place that decides how libtorch runs in this process: the device and the intra-op thread count.
/// The defaults suit the 2-core CPU machines this project is developed on; a CUDA build of TorchSharp only
/// needs <c>--device cuda</c>.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _configured;

    /// <summary>Environment variable that overrides the intra-op thread count (like OMP_NUM_THREADS).</summary>
    public const string ThreadsVariable = "IMMISCIBLE_THREADS";

    /// <summary>Device named by a setting such as "cpu", "cuda" or "cuda:1".</summary>
    public static Device ParseDevice(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var lower = name.Trim().ToLowerInvariant();
        if (lower.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            throw new ArgumentException(
                $"device '{name}' was requested but CUDA is not available: this build uses the TorchSharp-cpu package; " +
                "reference a CUDA TorchSharp package and run on a GPU machine, or pass --device cpu", nameof(name));
        return new Device(lower);
    }

    /// <summary>
    /// Sets libtorch's intra-op threads once per process: <paramref name="threads"/> if given, else
    /// IMMISCIBLE_THREADS, else the number of logical processors. Inter-op parallelism is left at 1 thread:
    /// our graphs are sequential and a second pool only competes for the same 2 cores.
    /// </summary>
    public static int Configure(int? threads = null)
    {
        lock (Gate)
        {
            int n = threads ?? (int.TryParse(Environment.GetEnvironmentVariable(ThreadsVariable), out var env) && env > 0
                ? env
                : Environment.ProcessorCount);
            if (n < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "thread count must be at least 1");
            torch.set_num_threads(n);
            if (!_configured)
            {
                try { torch.set_num_interop_threads(1); }
                catch (ExternalException) { /* libtorch allows this only before the first parallel op */ }
                _configured = true;
            }
            return n;
        }
    }
}
