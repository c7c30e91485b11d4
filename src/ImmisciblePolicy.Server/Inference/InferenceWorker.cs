using System.Diagnostics;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Robotics;
using Microsoft.Extensions.Logging;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>
/// Owns one policy's network and plans on a dedicated thread, so request threads never run libtorch and
/// a slow plan never blocks the server's I/O. Requests are batched dynamically: the first waiting request
/// opens a batch, compatible requests (same sampler and steps) that arrive within <c>maxWait</c> join it, up
/// to <c>maxBatch</c>; the batch is one <see cref="TrainedPolicy.PlanChunks(IReadOnlyList{double[][]}, IReadOnlyList{long}, int?)"/>
/// call (dispose scope + inference mode inside) with one seed per request (its explicit seed, else
/// <see cref="SessionSeed"/>), so every reply equals an in-process <c>PlanChunks([window], seed)</c> whatever
/// else shared its batch. A reply whose actions are not all finite fails alone (INTERNAL); no NaN or Inf
/// leaves the worker.
/// </summary>
public sealed class InferenceWorker : IDisposable
{
    private readonly TrainedPolicy _policy;
    private readonly Dictionary<SamplerKind, TrainedPolicy> _planners = [];
    private readonly PlanQueue _queue;
    private readonly int _maxBatch;
    private readonly long _maxWaitTicks;
    private readonly ILogger _logger;
    private readonly int? _torchThreads;
    private readonly Thread _thread;
    private int _disposed;
    private long _liveTensors;

    /// <param name="id">policy id (thread name, logs).</param>
    /// <param name="policy">the loaded policy; the worker owns and disposes it.</param>
    /// <param name="maxBatch">most requests per network call.</param>
    /// <param name="maxWaitMs">how long a batch waits for company.</param>
    /// <param name="queueCapacity">waiting requests before new ones are refused.</param>
    /// <param name="logger">where failures go (with native details, which clients never see).</param>
    /// <param name="torchThreads">intra-op threads for this worker's thread (null: TorchRuntime's default).</param>
    public InferenceWorker(string id, TrainedPolicy policy, int maxBatch, double maxWaitMs, int queueCapacity, ILogger logger,
        int? torchThreads = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxWaitMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        Id = id;
        _policy = policy;
        _planners[policy.Config.Sampler] = policy;
        _queue = new PlanQueue(queueCapacity);
        _maxBatch = maxBatch;
        _maxWaitTicks = (long)(maxWaitMs * Stopwatch.Frequency / 1000.0);
        _logger = logger;
        _torchThreads = torchThreads;
        _thread = new Thread(Run) { IsBackground = true, Name = $"plan:{id}" };
        _thread.Start();
    }

    /// <summary>Policy id.</summary>
    public string Id { get; }

    /// <summary>Requests waiting now.</summary>
    public int QueueDepth => _queue.Count;

    /// <summary>
    /// Live TorchSharp tensors on the worker thread after its latest batch (TorchSharp counts per thread).
    /// Flat over time when every batch frees what it allocates.
    /// </summary>
    public long LiveTensorsAfterLastBatch => Interlocked.Read(ref _liveTensors);

    /// <summary>Counters for the metrics telemetry.</summary>
    public PlanStatistics Statistics { get; } = new();

    /// <summary>
    /// Queues <paramref name="input"/> and completes when its batch has been planned.
    /// Throws <see cref="PlanRejectedException"/> (queue full, policy gone, planning failed) or
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first; a
    /// cancelled request leaves the queue at once.
    /// </summary>
    public async Task<PlanOutcome> PlanAsync(PlanInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        cancellationToken.ThrowIfCancellationRequested();
        var job = new PlanJob(input);
        if (!_queue.TryEnqueue(job))
        {
            if (Volatile.Read(ref _disposed) != 0)
                throw new PlanRejectedException(PlanRejection.PolicyUnavailable, $"policy '{Id}' was unloaded");
            Statistics.RecordRejected();
            throw new PlanRejectedException(PlanRejection.QueueFull,
                $"policy '{Id}' has {_queue.Count} requests waiting (capacity reached); retry later");
        }
        await using var registration = cancellationToken.Register(() =>
        {
            if (job.Cancel(cancellationToken)) _queue.Remove(job);
        });
        return await job.Completion.ConfigureAwait(false);
    }

    private void Run()
    {
        // libtorch's OpenMP thread count is per calling thread: a fresh thread does not inherit what
        // TorchRuntime.Configure set on the thread that called it, so the worker sets its own.
        TorchRuntime.Configure(_torchThreads);
        var batch = new List<PlanJob>(_maxBatch);
        while (_queue.TakeFirst() is { } first)
        {
            if (first.IsFinished) continue;
            batch.Clear();
            batch.Add(first);
            if (_maxBatch > 1)
                _queue.TakeCompatible(batch, j => first.Input.CanBatchWith(j.Input), _maxBatch, first.EnqueuedAt + _maxWaitTicks);
            batch.RemoveAll(j => j.IsFinished);
            if (batch.Count > 0) Execute(batch);
        }
    }

    private void Execute(List<PlanJob> batch)
    {
        var head = batch[0].Input;
        long start = Stopwatch.GetTimestamp();
        try
        {
            var seeds = batch.Select(j => j.Input.EffectiveSeed).ToList();
            var planner = PlannerFor(head.Sampler);
            // A vision policy plans from full observations (states + decoded frames), a state-only one from the states.
            var (actions, chunks) = planner.Vision is null
                ? planner.PlanChunks(batch.Select(j => j.Input.Window).ToList(), seeds, head.Steps)
                : planner.PlanChunks(batch.Select(j => j.Input.ToObservationWindow()).ToList(), seeds, head.Steps);
            double inferenceMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            Interlocked.Exchange(ref _liveTensors, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            Statistics.RecordBatch();
            for (int i = 0; i < batch.Count; i++)
            {
                if (!AllFinite(chunks[i]))
                {
                    // A network can overflow on inputs inside the accepted range too; such a reply must not
                    // reach a robot as actions. The other requests of the batch are unaffected (rows are independent).
                    ServerLog.NonFiniteActions(_logger, Id, batch[i].Input.SessionId, batch[i].Input.Timestep);
                    Statistics.RecordNonFinite();
                    batch[i].Fail(new PlanRejectedException(PlanRejection.PlanningFailed,
                        $"policy '{Id}' produced non-finite actions for this observation (is it far outside the training data?); see the server log"));
                    continue;
                }
                double queueMs = Stopwatch.GetElapsedTime(batch[i].EnqueuedAt, start).TotalMilliseconds;
                batch[i].Complete(new PlanOutcome(actions[i], chunks[i], queueMs, inferenceMs, batch.Count, seeds[i], head.Sampler, head.Steps));
            }
        }
#pragma warning disable CA1031 // the worker thread must survive any failure of one batch; callers get a safe message
        catch (Exception e)
#pragma warning restore CA1031
        {
            ServerLog.PlanningFailed(_logger, e, Id, batch.Count);
            var error = new PlanRejectedException(PlanRejection.PlanningFailed, $"policy '{Id}' failed to plan; see the server log");
            foreach (var job in batch) job.Fail(error);
        }
    }

    private static bool AllFinite(double[][] rows)
    {
        foreach (var row in rows)
            foreach (var v in row)
                if (!double.IsFinite(v) || !float.IsFinite((float)v)) return false;
        return true;
    }

    // Another sampler shares the network and normalisers: TrainedPolicy only picks its scheduler from the
    // config, so a second instance over the same weights is cheap. Only the primary is disposed. A vision policy's
    // second instance shares its whole VisionDenoiser (camera encoders and U-Net), not the U-Net alone.
    private TrainedPolicy PlannerFor(SamplerKind kind)
    {
        if (_planners.TryGetValue(kind, out var planner)) return planner;
        var config = _policy.Config with { Sampler = kind };
        planner = _policy.Vision is { } vision
            ? new TrainedPolicy(config, vision, _policy.ObservationNormalizer, _policy.ActionNormalizer, _policy.Step)
            : new TrainedPolicy(config, _policy.Network, _policy.ObservationNormalizer, _policy.ActionNormalizer, _policy.Step);
        _planners[kind] = planner;
        return planner;
    }

    /// <summary>
    /// Stops taking requests, fails the waiting ones with <see cref="PlanRejection.PolicyUnavailable"/>,
    /// lets the running batch finish and releases the network.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var error = new PlanRejectedException(PlanRejection.PolicyUnavailable, $"policy '{Id}' was unloaded while the request waited");
        foreach (var job in _queue.Close()) job.Fail(error);
        _thread.Join();
        _policy.Dispose();
    }
}
