using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Robotics;
using Microsoft.Extensions.Logging;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>Settings every inference worker gets.</summary>
/// <param name="MaxBatch">most requests per network call.</param>
/// <param name="MaxWaitMs">batching window.</param>
/// <param name="QueueCapacity">waiting requests per policy.</param>
/// <param name="TorchThreads">libtorch intra-op threads of each worker thread (null: TorchRuntime's default).</param>
/// <param name="Engine">what runs the denoiser: TorchSharp, or ONNX Runtime over the checkpoint exported in memory.</param>
/// <param name="Onnx">ONNX Runtime settings (threads, device) when <paramref name="Engine"/> is Onnx; null = defaults.</param>
public sealed record WorkerSettings(int MaxBatch, double MaxWaitMs, int QueueCapacity, int? TorchThreads = null,
    PolicyEngine Engine = PolicyEngine.Torch, Onnx.OnnxEngineOptions? Onnx = null);

/// <summary>A checkpoint the server's engine cannot run: a vision policy with <c>--engine onnx</c> (FAILED_PRECONDITION).</summary>
public sealed class PolicyEngineException(string message) : Exception(message);

/// <summary>A checkpoint directory outside every policy root the server may load from (PERMISSION_DENIED).</summary>
public sealed class PolicyRootException(string message) : Exception(message);

/// <summary>
/// The policies being served, by id. Loading one checkpoint never affects the others: a corrupt checkpoint
/// fails its own load (logged) and the rest keep serving. Replacing or unloading a policy disposes its worker
/// after the running batch. <see cref="Load"/> (the admin call) only reads checkpoints inside the policies
/// directory or an extra root given at start-up, with symlinks resolved first.
/// </summary>
/// <param name="policiesDirectory">directory whose sub-directories are policies; relative checkpoint paths resolve against it.</param>
/// <param name="settings">worker settings.</param>
/// <param name="logger">load/unload log.</param>
/// <param name="extraRoots">further directories <see cref="Load"/> may read checkpoints from (none by default).</param>
public sealed partial class PolicyRegistry(string policiesDirectory, WorkerSettings settings, ILogger<PolicyRegistry> logger,
    IReadOnlyList<string>? extraRoots = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, ServedPolicy> _policies = new(StringComparer.Ordinal);
    private readonly object _loadGate = new();

    /// <summary>The directory relative checkpoint paths resolve against.</summary>
    public string PoliciesDirectory { get; } = Path.GetFullPath(policiesDirectory);

    /// <summary>Where <see cref="Load"/> may read checkpoints: the policies directory and the extra roots, absolute.</summary>
    public IReadOnlyList<string> PolicyRoots { get; } =
        [Path.GetFullPath(policiesDirectory), .. (extraRoots ?? []).Select(r => Path.GetFullPath(r))];

    /// <summary>Every served policy, ordered by id.</summary>
    public IReadOnlyList<ServedPolicy> All => [.. _policies.Values.OrderBy(p => p.Description.Id, StringComparer.Ordinal)];

    /// <summary>The policy named <paramref name="id"/>, or null.</summary>
    public ServedPolicy? Find(string id) => _policies.TryGetValue(id, out var p) ? p : null;

    /// <summary>Loads every sub-directory of the policies directory; returns the ids of those that failed.</summary>
    public IReadOnlyList<string> LoadAll()
    {
        if (!Directory.Exists(PoliciesDirectory))
        {
            ServerLog.PoliciesDirectoryMissing(logger, PoliciesDirectory);
            return [];
        }
        var failed = new List<string>();
        foreach (var dir in Directory.GetDirectories(PoliciesDirectory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            // Hidden folders and the previous copies CheckpointDirectory keeps while writing are not policies.
            if (name.StartsWith('.') || name.EndsWith(".previous", StringComparison.Ordinal) || !IsValidId(name)) continue;
            try
            {
                LoadFrom(name, dir);
            }
#pragma warning disable CA1031 // one bad checkpoint must not stop the others; the failure is logged
            catch (Exception e)
#pragma warning restore CA1031
            {
                ServerLog.PolicyLoadFailed(logger, e, name, dir);
                failed.Add(name);
            }
        }
        return failed;
    }

    /// <summary>
    /// Loads the checkpoint at <paramref name="checkpointDir"/> (relative to the policies directory, or absolute)
    /// as <paramref name="id"/>, replacing a policy of that id. The directory, with <c>..</c> and every symlink
    /// resolved, must lie inside one of <see cref="PolicyRoots"/>.
    /// </summary>
    /// <exception cref="ArgumentException">the id is not a valid name.</exception>
    /// <exception cref="PolicyRootException">the directory is outside every policy root.</exception>
    /// <exception cref="DirectoryNotFoundException">no such directory.</exception>
    /// <exception cref="InvalidDataException">the checkpoint is incomplete or corrupt.</exception>
    /// <exception cref="PolicyEngineException">the server's engine cannot run this policy (a vision policy on ONNX).</exception>
    public PolicyDescription Load(string id, string checkpointDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDir);
        var dir = Path.GetFullPath(Path.Combine(PoliciesDirectory, checkpointDir));
        var real = PolicyPaths.RealPath(dir);
        if (!PolicyRoots.Any(root => PolicyPaths.IsInside(real, PolicyPaths.RealPath(root))))
            throw new PolicyRootException($"checkpoint directory '{checkpointDir}' resolves outside the policies directory and the extra policy roots");
        // Load what was checked: the resolved directory, not a path a symlink swap could redirect.
        return LoadFrom(string.IsNullOrEmpty(id) ? Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar)) : id, real, checkpointDir);
    }

    // Start-up loading (LoadAll) trusts the operator's policies directory, symlinked entries included.
    private PolicyDescription LoadFrom(string id, string dir, string? requested = null)
    {
        if (string.IsNullOrEmpty(id)) id = Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar));
        if (!IsValidId(id))
            throw new ArgumentException($"policy id must match {IdPattern().ToString()}; got '{id}'", nameof(id));
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"checkpoint directory not found: {requested ?? dir}");
        lock (_loadGate)
        {
            var policy = LoadCheckpoint(dir, settings);
            PolicyDescription description;
            try
            {
                description = PolicyDescription.Of(id, policy, dir);
            }
            catch
            {
                policy.Dispose();
                throw;
            }
            var worker = new InferenceWorker(id, policy, settings.MaxBatch, settings.MaxWaitMs, settings.QueueCapacity, logger, settings.TorchThreads);
            ServedPolicy? old = null;
            _policies.AddOrUpdate(id, new ServedPolicy(description, worker), (_, previous) =>
            {
                old = previous;
                return new ServedPolicy(description, worker);
            });
            if (old is not null)
            {
                old.Worker.Dispose();
                MemoryRelease.Release();
            }
            ServerLog.PolicyLoaded(logger, id, dir, description.Version.Step, description.Version.Hash);
            return description;
        }
    }

    /// <summary>Stops serving <paramref name="id"/>; false when it was not served.</summary>
    public bool Unload(string id)
    {
        if (!_policies.TryRemove(id, out var served)) return false;
        served.Worker.Dispose();
        MemoryRelease.Release();
        ServerLog.PolicyUnloaded(logger, id);
        return true;
    }

    /// <summary>Whether <paramref name="id"/> is a usable policy name (letters, digits, '.', '_', '-').</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var id in _policies.Keys.ToList())
            if (_policies.TryRemove(id, out var served)) served.Worker.Dispose();
    }

    // PolicyCheckpoint.Load reports a bad checkpoint with several exception types (and libtorch may throw
    // its own when a tensor does not fit); all of them mean "this checkpoint is unusable". An engine the server
    // cannot run (CUDA asked for without the GPU package) is a server configuration error, reported as such.
    private static TrainedPolicy LoadCheckpoint(string dir, WorkerSettings settings)
    {
        try
        {
            // The ONNX export covers the U-Net alone; camera encoders run in TorchSharp only.
            if (settings.Engine != PolicyEngine.Torch && PolicyCheckpoint.ReadConfig(dir).Policy.Vision is { } vision)
                throw new PolicyEngineException(
                    $"checkpoint '{Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar))}' is a vision policy (cameras [{string.Join(", ", vision.Cameras.Select(c => c.Name))}]); " +
                    $"vision policies run on the torch engine only, and this server runs --engine {settings.Engine.ToString().ToLowerInvariant()}: serve them with --engine torch");
            return PolicyCheckpoint.Load(dir, settings.Engine, settings.Onnx);
        }
        catch (NotSupportedException e)
        {
            throw new InvalidOperationException($"the server's {settings.Engine} engine cannot run here: {e.Message}", e);
        }
        catch (Exception e) when (e is not InvalidDataException and not DirectoryNotFoundException and not OutOfMemoryException and not PolicyEngineException)
        {
            throw new InvalidDataException($"{dir}: not a loadable policy checkpoint ({e.GetType().Name})", e);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex IdPattern();
}
