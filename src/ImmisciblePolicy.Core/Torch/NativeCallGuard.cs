using System.Runtime;

namespace ImmisciblePolicy.Core.Torch;

/// <summary>
/// Keeps the garbage collector out of a block of libtorch calls.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 passes temporary <c>Scalar</c> objects (e.g. the implicit alpha = 1 of <c>Tensor.add</c>)
/// to native code by raw handle. The temporary is unreachable while the native call runs, so a garbage
/// collection triggered meanwhile by another thread can finalize it and free the native scalar mid-call. We
/// saw this as a rare "Expected false to be true ... toFloat" error after thousands of training steps. Running
/// each training step and each planning call inside a no-GC region removes the window; collections happen
/// between steps instead, when no native call is in flight on this thread. When the region cannot be entered
/// (allocation budget too large, or one is already active) the block simply runs unguarded.
/// </remarks>
public readonly struct NativeCallGuard : IDisposable
{
    private readonly bool _active;

    private NativeCallGuard(bool active) => _active = active;

    /// <summary>Budget of managed allocations the guarded block may make (TorchSharp wrappers are small).</summary>
    public const long Budget = 64L * 1024 * 1024;

    /// <summary>Enters a no-GC region for the current block when possible.</summary>
    public static NativeCallGuard Enter()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return new NativeCallGuard(false);
        try
        {
            return new NativeCallGuard(GC.TryStartNoGCRegion(Budget, disallowFullBlockingGC: true));
        }
        catch (InvalidOperationException)
        {
            return new NativeCallGuard(false);
        }
    }

    /// <summary>Leaves the region (a no-op when it was not entered or the budget ran out).</summary>
    public void Dispose()
    {
        if (_active && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try { GC.EndNoGCRegion(); }
            catch (InvalidOperationException) { /* the budget was exceeded and a GC already ended the region */ }
        }
    }
}
