namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// One demonstration: T frames of observation.state (T, n) and action (T, m), float32, stored row-major,
/// with the per-frame timestamp, the optional LeRobot signals next.reward / next.success / next.done, an
/// optional solution-mode label (an index into <see cref="DemonstrationDataset.ModeNames"/>) and optional camera
/// frames per image feature (<see cref="Images"/>). Immutable: the constructor copies its numeric inputs; image
/// frames are read through <see cref="IImageFrames"/>, which never change.
/// </summary>
public sealed class Episode
{
    private readonly float[] states;
    private readonly float[] actions;
    private readonly float[] timestamps;
    private readonly float[]? rewards;
    private readonly bool[]? successes;
    private readonly bool[]? dones;
    private static readonly IReadOnlyDictionary<string, IImageFrames> NoImages = new Dictionary<string, IImageFrames>();

    /// <param name="states">(length, stateDim) row-major observation.state.</param>
    /// <param name="actions">(length, actionDim) row-major action.</param>
    /// <param name="timestamps">(length) seconds since the episode start.</param>
    /// <param name="rewards">(length) next.reward, or null when the dataset has none.</param>
    /// <param name="successes">(length) next.success, or null.</param>
    /// <param name="dones">(length) next.done, or null.</param>
    /// <param name="taskIndex">Index into <see cref="DemonstrationDataset.Tasks"/>.</param>
    /// <param name="images">camera frames by feature name (one frame per timestamp each), or null for none.</param>
    /// <param name="mode">Which solution mode the demonstrator followed (index into the dataset's mode names), or null.</param>
    public Episode(
        int stateDim,
        int actionDim,
        ReadOnlySpan<float> states,
        ReadOnlySpan<float> actions,
        ReadOnlySpan<float> timestamps,
        float[]? rewards = null,
        bool[]? successes = null,
        bool[]? dones = null,
        int taskIndex = 0,
        IReadOnlyDictionary<string, IImageFrames>? images = null,
        int? mode = null)
    {
        if (stateDim < 1)
            throw new ArgumentOutOfRangeException(nameof(stateDim), stateDim, "expected at least 1 state dimension");
        if (actionDim < 1)
            throw new ArgumentOutOfRangeException(nameof(actionDim), actionDim, "expected at least 1 action dimension");
        int length = timestamps.Length;
        if (length < 1)
            throw new ArgumentException("an episode needs at least one frame; received 0 timestamps", nameof(timestamps));
        if (states.Length != length * stateDim)
            throw new ArgumentException(
                $"expected {length} x {stateDim} = {length * stateDim} state values, received {states.Length}", nameof(states));
        if (actions.Length != length * actionDim)
            throw new ArgumentException(
                $"expected {length} x {actionDim} = {length * actionDim} action values, received {actions.Length}", nameof(actions));
        CheckLength(rewards?.Length, length, nameof(rewards));
        CheckLength(successes?.Length, length, nameof(successes));
        CheckLength(dones?.Length, length, nameof(dones));
        CheckFinite(states, stateDim, nameof(states));
        CheckFinite(actions, actionDim, nameof(actions));
        CheckFinite(timestamps, 1, nameof(timestamps));
        if (rewards is not null)
            CheckFinite(rewards, 1, nameof(rewards));
        ArgumentOutOfRangeException.ThrowIfNegative(taskIndex);
        if (images is not null)
        {
            foreach (var (name, frames) in images)
            {
                if (frames is null)
                    throw new ArgumentException($"image feature '{name}' has no frames (null)", nameof(images));
                if (frames.Feature.Name != name)
                    throw new ArgumentException($"image feature stored under '{name}' names itself '{frames.Feature.Name}'", nameof(images));
                if (frames.Count != length)
                    throw new ArgumentException($"image feature '{name}': expected {length} frames (one per timestamp), received {frames.Count}", nameof(images));
            }
        }
        if (mode is < 0)
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "expected a non-negative mode index or null");

        Length = length;
        Mode = mode;
        StateDim = stateDim;
        ActionDim = actionDim;
        TaskIndex = taskIndex;
        this.states = states.ToArray();
        this.actions = actions.ToArray();
        this.timestamps = timestamps.ToArray();
        this.rewards = rewards is null ? null : (float[])rewards.Clone();
        this.successes = successes is null ? null : (bool[])successes.Clone();
        this.dones = dones is null ? null : (bool[])dones.Clone();
        Images = images is null || images.Count == 0 ? NoImages : new Dictionary<string, IImageFrames>(images, StringComparer.Ordinal);
    }

    /// <summary>Builds an episode from per-frame vectors with timestamps t / fps, as LeRobot records them.</summary>
    public static Episode FromFrames(
        IReadOnlyList<float[]> states,
        IReadOnlyList<float[]> actions,
        int fps,
        float[]? rewards = null,
        bool[]? successes = null,
        bool[]? dones = null,
        int taskIndex = 0,
        IReadOnlyDictionary<string, IImageFrames>? images = null,
        int? mode = null)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentOutOfRangeException.ThrowIfLessThan(fps, 1);
        if (states.Count == 0)
            throw new ArgumentException("an episode needs at least one frame; received 0 states", nameof(states));
        if (actions.Count != states.Count)
            throw new ArgumentException($"expected {states.Count} actions (one per state), received {actions.Count}", nameof(actions));
        int n = states[0].Length, m = actions[0].Length;
        var flatStates = new float[states.Count * n];
        var flatActions = new float[states.Count * m];
        var times = new float[states.Count];
        for (int t = 0; t < states.Count; t++)
        {
            if (states[t].Length != n)
                throw new ArgumentException($"frame {t}: expected state of length {n}, received {states[t].Length}", nameof(states));
            if (actions[t].Length != m)
                throw new ArgumentException($"frame {t}: expected action of length {m}, received {actions[t].Length}", nameof(actions));
            states[t].CopyTo(flatStates, t * n);
            actions[t].CopyTo(flatActions, t * m);
            times[t] = (float)t / fps;
        }
        return new Episode(n, m, flatStates, flatActions, times, rewards, successes, dones, taskIndex, images, mode);
    }

    /// <summary>A copy of this episode with <paramref name="images"/> as its camera frames (replacing any it had).</summary>
    /// <param name="images">camera frames by feature name, one frame per timestamp each.</param>
    public Episode WithImages(IReadOnlyDictionary<string, IImageFrames> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new Episode(StateDim, ActionDim, states, actions, timestamps, rewards, successes, dones, TaskIndex, images, Mode);
    }

    /// <summary>Number of frames T.</summary>
    public int Length { get; }

    /// <summary>n, the observation.state width.</summary>
    public int StateDim { get; }

    /// <summary>m, the action width.</summary>
    public int ActionDim { get; }

    /// <summary>Index of this episode's task text in the dataset's task table.</summary>
    public int TaskIndex { get; }

    /// <summary>The solution mode the demonstrator followed (index into <see cref="DemonstrationDataset.ModeNames"/>), or null.</summary>
    public int? Mode { get; }

    /// <summary>(T, n) row-major.</summary>
    public ReadOnlySpan<float> States => states;

    /// <summary>(T, m) row-major.</summary>
    public ReadOnlySpan<float> Actions => actions;

    /// <summary>(T) seconds.</summary>
    public ReadOnlySpan<float> Timestamps => timestamps;

    /// <summary>(T) next.reward; empty when <see cref="HasRewards"/> is false.</summary>
    public ReadOnlySpan<float> Rewards => rewards;

    /// <summary>(T) next.success; empty when <see cref="HasSuccesses"/> is false.</summary>
    public ReadOnlySpan<bool> Successes => successes;

    /// <summary>(T) next.done; empty when <see cref="HasDones"/> is false.</summary>
    public ReadOnlySpan<bool> Dones => dones;

    /// <summary>Camera frames by image feature name (LeRobot key, e.g. "observation.image"); empty when the episode has none.</summary>
    public IReadOnlyDictionary<string, IImageFrames> Images { get; }

    public bool HasRewards => rewards is not null;
    public bool HasSuccesses => successes is not null;
    public bool HasDones => dones is not null;

    /// <summary>observation.state at frame t, (n).</summary>
    public ReadOnlySpan<float> State(int t) => states.AsSpan(CheckFrame(t) * StateDim, StateDim);

    /// <summary>action at frame t, (m).</summary>
    public ReadOnlySpan<float> Action(int t) => actions.AsSpan(CheckFrame(t) * ActionDim, ActionDim);

    private int CheckFrame(int t)
    {
        if ((uint)t >= (uint)Length)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"expected a frame index in [0, {Length})");
        return t;
    }

    private static void CheckLength(int? received, int length, string name)
    {
        if (received is int r && r != length)
            throw new ArgumentException($"expected {length} values (one per frame), received {r}", name);
    }

    private static void CheckFinite(ReadOnlySpan<float> values, int width, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"frame {i / width}, dim {i % width}: expected a finite value, received {values[i]}", name);
        }
    }
}
