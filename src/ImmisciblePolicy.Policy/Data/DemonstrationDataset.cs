namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// A set of demonstration episodes: what a LeRobot v3.0 dataset describes. States and actions are held in
/// memory; camera frames are read through each episode's <see cref="IImageFrames"/> (memory, PNG cells or
/// decoded video). Every episode has the same state/action widths, the same optional signals and the same image
/// features.
/// <para>
/// An episode's state row is the whole observation vector a policy conditions on. LeRobot splits such a vector
/// into features: with <see cref="EnvironmentStateDim"/> = e &gt; 0 the first e entries are
/// <c>observation.environment_state</c> (e.g. gym-pusht's 16 block-corner coordinates) and the rest
/// <c>observation.state</c> (the agent position), as LeRobot's pusht_keypoints dataset stores them; with e = 0 the
/// whole row is <c>observation.state</c>.
/// </para>
/// </summary>
public sealed class DemonstrationDataset
{
    /// <param name="environmentStateDim">how many leading entries of each state row are observation.environment_state (0: none).</param>
    /// <param name="modeNames">names of the solution modes episodes are labelled with (<see cref="Episode.Mode"/> indexes them);
    /// null when the episodes carry no mode labels.</param>
    public DemonstrationDataset(
        IReadOnlyList<Episode> episodes,
        int fps,
        IReadOnlyList<string> stateNames,
        IReadOnlyList<string> actionNames,
        IReadOnlyList<string> tasks,
        string? robotType = null,
        int environmentStateDim = 0,
        IReadOnlyList<string>? modeNames = null)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        ArgumentNullException.ThrowIfNull(stateNames);
        ArgumentNullException.ThrowIfNull(actionNames);
        ArgumentNullException.ThrowIfNull(tasks);
        if (episodes.Count == 0)
            throw new ArgumentException("expected at least one episode, received 0", nameof(episodes));
        ArgumentOutOfRangeException.ThrowIfLessThan(fps, 1);
        if (tasks.Count == 0)
            throw new ArgumentException("expected at least one task text, received 0", nameof(tasks));
        if (tasks.Distinct(StringComparer.Ordinal).Count() != tasks.Count)
            throw new ArgumentException($"task texts must be unique, received [{string.Join(", ", tasks)}]", nameof(tasks));

        Episode first = episodes[0];
        if (environmentStateDim < 0 || environmentStateDim >= first.StateDim)
            throw new ArgumentOutOfRangeException(nameof(environmentStateDim), environmentStateDim,
                $"expected 0 <= environment-state width < state width {first.StateDim} (observation.state keeps at least one entry)");
        if (modeNames is not null && (modeNames.Count == 0 || modeNames.Any(string.IsNullOrWhiteSpace)
                                      || modeNames.Distinct(StringComparer.Ordinal).Count() != modeNames.Count))
            throw new ArgumentException($"mode names must be non-empty and unique, received [{string.Join(", ", modeNames)}]", nameof(modeNames));
        if (stateNames.Count != first.StateDim)
            throw new ArgumentException($"expected {first.StateDim} state names, received {stateNames.Count}", nameof(stateNames));
        if (actionNames.Count != first.ActionDim)
            throw new ArgumentException($"expected {first.ActionDim} action names, received {actionNames.Count}", nameof(actionNames));
        long total = 0;
        for (int e = 0; e < episodes.Count; e++)
        {
            Episode ep = episodes[e] ?? throw new ArgumentException($"episode {e} is null", nameof(episodes));
            if (ep.StateDim != first.StateDim || ep.ActionDim != first.ActionDim)
                throw new ArgumentException(
                    $"episode {e}: expected state/action widths {first.StateDim}/{first.ActionDim}, received {ep.StateDim}/{ep.ActionDim}",
                    nameof(episodes));
            if (ep.HasRewards != first.HasRewards || ep.HasSuccesses != first.HasSuccesses || ep.HasDones != first.HasDones)
                throw new ArgumentException(
                    $"episode {e}: every episode must carry the same optional signals (next.reward/next.success/next.done) as episode 0",
                    nameof(episodes));
            if (ep.Images.Count != first.Images.Count
                || ep.Images.Any(kv => !first.Images.TryGetValue(kv.Key, out var f0) || f0.Feature != kv.Value.Feature))
                throw new ArgumentException(
                    $"episode {e}: every episode must carry the same image features as episode 0 " +
                    $"([{string.Join(", ", first.Images.Values.Select(f => f.Feature.Name + " " + f.Feature.ShapeText))}]); " +
                    $"received [{string.Join(", ", ep.Images.Values.Select(f => f.Feature.Name + " " + f.Feature.ShapeText))}]",
                    nameof(episodes));
            if (modeNames is null ? ep.Mode is not null : ep.Mode is not int m || m >= modeNames.Count)
                throw new ArgumentException(
                    modeNames is null
                        ? $"episode {e}: has mode label {ep.Mode} but the dataset declares no mode names"
                        : $"episode {e}: mode label {ep.Mode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} is not an index into the {modeNames.Count} mode names",
                    nameof(episodes));
            if (ep.TaskIndex >= tasks.Count)
                throw new ArgumentException($"episode {e}: task index {ep.TaskIndex} is outside [0, {tasks.Count})", nameof(episodes));
            total += ep.Length;
        }

        Episodes = [.. episodes];
        Fps = fps;
        StateNames = [.. stateNames];
        ActionNames = [.. actionNames];
        Tasks = [.. tasks];
        RobotType = robotType;
        TotalFrames = total;
        ImageFeatures = [.. first.Images.Values.Select(f => f.Feature).OrderBy(f => f.Name, StringComparer.Ordinal)];
        EnvironmentStateDim = environmentStateDim;
        ModeNames = modeNames is null ? null : [.. modeNames];
    }

    /// <summary>Camera features every episode carries, ordered by name; empty for a state-only dataset.</summary>
    public IReadOnlyList<ImageFeature> ImageFeatures { get; }

    public IReadOnlyList<Episode> Episodes { get; }

    /// <summary>Control rate in frames per second (Push-T: 10).</summary>
    public int Fps { get; }

    /// <summary>Names of the observation.state dimensions (n of them).</summary>
    public IReadOnlyList<string> StateNames { get; }

    /// <summary>Names of the action dimensions (m of them).</summary>
    public IReadOnlyList<string> ActionNames { get; }

    /// <summary>Task texts; an episode refers to one by <see cref="Episode.TaskIndex"/>.</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <summary>LeRobot's robot_type, e.g. "2d pointer"; null when unknown.</summary>
    public string? RobotType { get; }

    /// <summary>Width of the whole observation row (observation.environment_state entries included).</summary>
    public int StateDim => Episodes[0].StateDim;

    /// <summary>How many leading entries of each state row are observation.environment_state (0: none).</summary>
    public int EnvironmentStateDim { get; }

    /// <summary>Names of the solution modes (indexed by <see cref="Episode.Mode"/>), or null when episodes carry no labels.</summary>
    public IReadOnlyList<string>? ModeNames { get; }

    /// <summary>Whether every episode carries a mode label.</summary>
    public bool HasModes => ModeNames is not null;

    /// <summary>Share of episodes per mode name, in <see cref="ModeNames"/> order; empty when there are no labels.</summary>
    public IReadOnlyList<(string Mode, double Share)> ModeShares =>
        ModeNames is null ? [] : [.. ModeNames.Select((name, i) => (name, Episodes.Count(e => e.Mode == i) / (double)Episodes.Count))];
    public int ActionDim => Episodes[0].ActionDim;
    public bool HasRewards => Episodes[0].HasRewards;
    public bool HasSuccesses => Episodes[0].HasSuccesses;
    public bool HasDones => Episodes[0].HasDones;

    /// <summary>Sum of episode lengths.</summary>
    public long TotalFrames { get; }

    /// <summary>Every frame's observation.state, (TotalFrames, n) row-major: what the observation
    /// normaliser is fitted on (Diffusion Policy fits on the whole replay buffer, not on padded windows).</summary>
    public float[] ConcatenatedStates() => Concatenate(StateDim, e => e.States);

    /// <summary>Every frame's action, (TotalFrames, m) row-major.</summary>
    public float[] ConcatenatedActions() => Concatenate(ActionDim, e => e.Actions);

    private delegate ReadOnlySpan<float> Rows(Episode episode);

    private float[] Concatenate(int width, Rows rows)
    {
        var result = new float[checked((int)TotalFrames * width)];
        int offset = 0;
        foreach (Episode episode in Episodes)
        {
            ReadOnlySpan<float> block = rows(episode);
            block.CopyTo(result.AsSpan(offset));
            offset += block.Length;
        }
        return result;
    }
}
