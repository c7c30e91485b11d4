using System.Diagnostics;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>
/// A bounded FIFO of plan jobs for one policy. Callers enqueue without blocking (a full queue refuses);
/// cancelled jobs are removed at once so they free their slot; the worker takes a first job and then the
/// compatible jobs that arrive within the batching window.
/// </summary>
internal sealed class PlanQueue(int capacity)
{
    private readonly object _gate = new();
    private readonly LinkedList<PlanJob> _jobs = new();
    private bool _closed;

    /// <summary>Jobs waiting now.</summary>
    public int Count
    {
        get { lock (_gate) return _jobs.Count; }
    }

    /// <summary>Adds <paramref name="job"/>; false when the queue is full or closed.</summary>
    public bool TryEnqueue(PlanJob job)
    {
        lock (_gate)
        {
            if (_closed || _jobs.Count >= capacity) return false;
            job.Node = _jobs.AddLast(job);
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    /// <summary>Removes a job that is still waiting (a cancelled call).</summary>
    public void Remove(PlanJob job)
    {
        lock (_gate)
        {
            if (job.Node?.List is not null) _jobs.Remove(job.Node);
            job.Node = null;
        }
    }

    /// <summary>Blocks until a job is waiting and takes it; null once the queue is closed.</summary>
    public PlanJob? TakeFirst()
    {
        lock (_gate)
        {
            while (_jobs.Count == 0 && !_closed) Monitor.Wait(_gate);
            if (_closed) return null;
            return TakeNode(_jobs.First!);
        }
    }

    /// <summary>
    /// Moves jobs that <paramref name="compatible"/> accepts into <paramref name="batch"/> until it holds
    /// <paramref name="maxBatch"/> jobs or <paramref name="deadline"/> (a Stopwatch timestamp) passes.
    /// Incompatible jobs keep their place for a later batch.
    /// </summary>
    public void TakeCompatible(List<PlanJob> batch, Func<PlanJob, bool> compatible, int maxBatch, long deadline)
    {
        lock (_gate)
        {
            while (true)
            {
                for (var node = _jobs.First; node is not null && batch.Count < maxBatch;)
                {
                    var next = node.Next;
                    if (compatible(node.Value)) batch.Add(TakeNode(node));
                    node = next;
                }
                if (batch.Count >= maxBatch || _closed) return;
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (remaining <= TimeSpan.Zero) return;
                Monitor.Wait(_gate, remaining);
            }
        }
    }

    /// <summary>Refuses new jobs, wakes the worker and returns the jobs that were still waiting.</summary>
    public List<PlanJob> Close()
    {
        lock (_gate)
        {
            _closed = true;
            var left = _jobs.ToList();
            _jobs.Clear();
            foreach (var job in left) job.Node = null;
            Monitor.PulseAll(_gate);
            return left;
        }
    }

    private PlanJob TakeNode(LinkedListNode<PlanJob> node)
    {
        _jobs.Remove(node);
        node.Value.Node = null;
        return node.Value;
    }
}
