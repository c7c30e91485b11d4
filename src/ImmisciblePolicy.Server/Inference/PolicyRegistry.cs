using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ImmisciblePolicy.Robotics;
using Microsoft.Extensions.Logging;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>Settings every inference worker gets.</summary>
/// <param name="MaxBatch">most requests per network call.</param>
/// <param name="MaxWaitMs">batching window.</param>
/// <param name="QueueCapacity">waiting requests per policy.</param>
/// <param name="TorchThreads">libtorch intra-op threads of each worker thread (null: TorchRuntime's default).</param>
public sealed record WorkerSettings(int MaxBatch, double MaxWaitMs, int QueueCapacity, int? TorchThreads = null);

/// <summary>
/// The policies being served, by id. Loading one checkpoint never affects the others: a corrupt checkpoint
/// fails its own load (logged) and the rest keep serving. Replacing or unloading a policy disposes its worker
/// after the running batch.
/// </summary>
public sealed partial class PolicyRegistry(string policiesDirectory, WorkerSettings settings, ILogger<PolicyRegistry> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, ServedPolicy> _policies = new(StringComparer.Ordinal);
    private readonly object _loadGate = new();

    /// <summary>The directory relative checkpoint paths resolve against.</summary>
    public string PoliciesDirectory { get; } = Path.GetFullPath(policiesDirectory);

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
                Load(name, dir);
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
    /// Loads the checkpoint at <paramref name="checkpointDir"/> (absolute or relative to the policies
    /// directory) as <paramref name="id"/>, replacing a policy of that id.
    /// </summary>
    /// <exception cref="ArgumentException">the id is not a valid name.</exception>
    /// <exception cref="DirectoryNotFoundException">no such directory.</exception>
    /// <exception cref="InvalidDataException">the checkpoint is incomplete or corrupt.</exception>
    public PolicyDescription Load(string id, string checkpointDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDir);
        var dir = Path.GetFullPath(Path.Combine(PoliciesDirectory, checkpointDir));
        if (string.IsNullOrEmpty(id)) id = Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar));
        if (!IsValidId(id))
            throw new ArgumentException($"policy id must match {IdPattern().ToString()}; got '{id}'", nameof(id));
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"checkpoint directory not found: {checkpointDir}");
        lock (_loadGate)
        {
            var policy = LoadCheckpoint(dir);
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
            old?.Worker.Dispose();
            ServerLog.PolicyLoaded(logger, id, dir, description.Version.Step, description.Version.Hash);
            return description;
        }
    }

    /// <summary>Stops serving <paramref name="id"/>; false when it was not served.</summary>
    public bool Unload(string id)
    {
        if (!_policies.TryRemove(id, out var served)) return false;
        served.Worker.Dispose();
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
    // its own when a tensor does not fit); all of them mean "this checkpoint is unusable".
    private static TrainedPolicy LoadCheckpoint(string dir)
    {
        try
        {
            return PolicyCheckpoint.Load(dir);
        }
        catch (Exception e) when (e is not InvalidDataException and not DirectoryNotFoundException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"{dir}: not a loadable policy checkpoint ({e.GetType().Name})", e);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex IdPattern();
}
