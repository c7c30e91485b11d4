namespace ImmisciblePolicy.Robots;

/// <summary>Counts from merging one chunk into an <see cref="ActionQueue"/>.</summary>
/// <param name="Dropped">actions whose timestep had already been executed (they arrived too late).</param>
/// <param name="Merged">actions for timesteps the queue already held, combined by the overlap rule.</param>
/// <param name="Appended">actions for timesteps the queue did not hold.</param>
public readonly record struct OfferResult(int Dropped, int Merged, int Appended);

/// <summary>
/// One robot's queue of future actions, as in LeRobot async inference (robot_client.py,
/// _aggregate_action_queues): a new chunk's actions for timesteps already executed are dropped, actions for
/// queued timesteps are merged (by default 0.3 old + 0.7 new), the rest are appended in time order. The robot
/// takes exactly the action stamped with the current control step and asks for a new chunk when the queue
/// has run down to a fraction of a chunk. No networking here; thread-safe so a receive loop may offer while
/// the control loop takes.
/// </summary>
public sealed class ActionQueue
{
    private readonly object _gate = new();
    private readonly SortedList<long, double[]> _entries = [];
    private long _lastExecuted = -1;

    /// <param name="config">merge rule and refill threshold; null = LeRobot's defaults.</param>
    public ActionQueue(ActionQueueConfig? config = null)
    {
        Config = config ?? new ActionQueueConfig();
        Config.Validate();
    }

    /// <summary>Merge rule and refill threshold.</summary>
    public ActionQueueConfig Config { get; }

    /// <summary>Queued actions (all for timesteps after <see cref="LastExecutedTimestep"/>).</summary>
    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Timestep of the last action taken; -1 before the first.</summary>
    public long LastExecutedTimestep
    {
        get { lock (_gate) return _lastExecuted; }
    }

    /// <summary>The queued (timestep, action) pairs in time order (copies).</summary>
    public IReadOnlyList<TimedAction> Snapshot()
    {
        lock (_gate) return _entries.Select(e => new TimedAction(e.Key, (double[])e.Value.Clone())).ToArray();
    }

    /// <summary>
    /// Merges a chunk. Its timesteps must be strictly increasing and its actions finite and of one dimension
    /// (that of the queue's actions, if any are queued).
    /// </summary>
    public OfferResult Offer(IReadOnlyList<TimedAction> chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        for (int i = 0; i < chunk.Count; i++)
        {
            var a = chunk[i].Action ?? throw new ArgumentException($"action {i} of the chunk is null", nameof(chunk));
            if (a.Length == 0 || a.Length != chunk[0].Action.Length)
                throw new ArgumentException($"action {i} of the chunk has {a.Length} values; expected {chunk[0].Action.Length} (non-zero)", nameof(chunk));
            for (int d = 0; d < a.Length; d++)
                if (!double.IsFinite(a[d]))
                    throw new ArgumentException($"action {i} of the chunk has a non-finite value ({a[d]}) at index {d}", nameof(chunk));
            if (i > 0 && chunk[i].Timestep <= chunk[i - 1].Timestep)
                throw new ArgumentException(
                    $"chunk timesteps must increase strictly; timestep {chunk[i].Timestep} at index {i} follows {chunk[i - 1].Timestep}", nameof(chunk));
        }
        int dropped = 0, merged = 0, appended = 0;
        lock (_gate)
        {
            if (chunk.Count > 0 && _entries.Count > 0 && _entries.Values[0].Length != chunk[0].Action.Length)
                throw new ArgumentException(
                    $"chunk actions have {chunk[0].Action.Length} values but queued actions have {_entries.Values[0].Length}", nameof(chunk));
            foreach (var (t, action) in chunk)
            {
                if (t <= _lastExecuted)
                {
                    dropped++;
                    continue;
                }
                if (_entries.TryGetValue(t, out var old))
                {
                    _entries[t] = Merge(old, action);
                    merged++;
                }
                else
                {
                    _entries.Add(t, (double[])action.Clone());
                    appended++;
                }
            }
        }
        return new OfferResult(dropped, merged, appended);
    }

    /// <summary>
    /// Takes the action for <paramref name="currentTimestep"/>: queued actions for earlier timesteps are
    /// discarded (their moment has passed); false when the queue holds nothing for this step.
    /// </summary>
    public bool TryTake(long currentTimestep, out double[] action)
    {
        lock (_gate)
        {
            if (currentTimestep <= _lastExecuted)
                throw new ArgumentException(
                    $"timestep {currentTimestep} was already executed (last executed {_lastExecuted}); time only moves forward", nameof(currentTimestep));
            while (_entries.Count > 0 && _entries.Keys[0] < currentTimestep) _entries.RemoveAt(0);
            if (_entries.Count > 0 && _entries.Keys[0] == currentTimestep)
            {
                action = _entries.Values[0];
                _entries.RemoveAt(0);
                _lastExecuted = currentTimestep;
                return true;
            }
            action = [];
            return false;
        }
    }

    /// <summary>
    /// Whether to ask for a new chunk: queue length / <paramref name="chunkSize"/> at or below the threshold
    /// (the config's unless <paramref name="threshold"/> is given). An empty queue always needs one.
    /// </summary>
    public bool NeedsChunk(int chunkSize, double? threshold = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        double g = threshold ?? Config.ChunkThreshold;
        if (!(g >= 0 && g <= 1)) throw new ArgumentException($"chunk threshold must lie in [0, 1]; received {g}", nameof(threshold));
        return Count / (double)chunkSize <= g;
    }

    /// <summary>Forgets everything, as at the start of an episode.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _lastExecuted = -1;
        }
    }

    private double[] Merge(double[] old, double[] incoming)
    {
        if (Config.Aggregation == OverlapAggregation.Replace) return (double[])incoming.Clone();
        var mixed = new double[old.Length];
        for (int d = 0; d < old.Length; d++) mixed[d] = (Config.OldWeight * old[d]) + (Config.NewWeight * incoming[d]);
        return mixed;
    }
}
