using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>Tiny hand-made datasets and a self-deleting scratch directory.</summary>
internal static class DatasetFixtures
{
    /// <summary>
    /// Episode e, frame t: state (10e + t, -(10e + t)), action (100e + t), reward t / 10,
    /// success on the last frame, done on the last frame, task e % 2.
    /// </summary>
    public static Episode MakeEpisode(int e, int length, int fps = 10)
    {
        var states = new float[length][];
        var actions = new float[length][];
        var rewards = new float[length];
        var successes = new bool[length];
        var dones = new bool[length];
        for (int t = 0; t < length; t++)
        {
            states[t] = [10 * e + t, -(10 * e + t)];
            actions[t] = [100 * e + t];
            rewards[t] = t / 10f;
            successes[t] = t == length - 1;
            dones[t] = t == length - 1;
        }
        return Episode.FromFrames(states, actions, fps, rewards, successes, dones, taskIndex: e % 2);
    }

    public static DemonstrationDataset MakeDataset(params int[] lengths) => new(
        [.. lengths.Select((length, e) => MakeEpisode(e, length))],
        fps: 10,
        stateNames: ["agent_x", "agent_y"],
        actionNames: ["target"],
        tasks: ["Push the T-shaped block onto the target.", "Second task"],
        robotType: "2d pointer");

    /// <summary>Same widths but no next.* signals.</summary>
    public static DemonstrationDataset MakeBareDataset(params int[] lengths) => new(
        [.. lengths.Select((length, e) =>
        {
            Episode full = MakeEpisode(e, length);
            return new Episode(2, 1, full.States, full.Actions, full.Timestamps);
        })],
        fps: 10,
        stateNames: ["x", "y"],
        actionNames: ["a"],
        tasks: ["only task"]);

    /// <summary>
    /// Episodes of 3 observation entries, the first two observation.environment_state ("corner0.x", "corner0.y"), the
    /// last observation.state ("agent.x"), labelled with modes: episode e follows mode e % 2 of ["clockwise", "counterclockwise"].
    /// </summary>
    public static DemonstrationDataset MakeModalDataset(params int[] lengths) => new(
        [.. lengths.Select((length, e) =>
        {
            var states = Enumerable.Range(0, length).Select(t => new float[] { 1000 * e + t, -t, 7 * e + 0.5f * t }).ToArray();
            var actions = Enumerable.Range(0, length).Select(t => new float[] { e, t }).ToArray();
            return Episode.FromFrames(states, actions, 10, taskIndex: 0, mode: e % 2);
        })],
        fps: 10,
        stateNames: ["corner0.x", "corner0.y", "agent.x"],
        actionNames: ["target.x", "target.y"],
        tasks: ["Push the T-shaped block onto the goal pose."],
        robotType: "pusht-sim",
        environmentStateDim: 2,
        modeNames: ["clockwise", "counterclockwise"]);

    public static void AssertSameDataset(DemonstrationDataset expected, DemonstrationDataset actual)
    {
        Assert.Equal(expected.EnvironmentStateDim, actual.EnvironmentStateDim);
        Assert.Equal(expected.ModeNames, actual.ModeNames);
        Assert.Equal(expected.Fps, actual.Fps);
        Assert.Equal(expected.RobotType, actual.RobotType);
        Assert.Equal(expected.StateNames, actual.StateNames);
        Assert.Equal(expected.ActionNames, actual.ActionNames);
        Assert.Equal(expected.Tasks, actual.Tasks);
        Assert.Equal(expected.Episodes.Count, actual.Episodes.Count);
        for (int e = 0; e < expected.Episodes.Count; e++)
        {
            Episode a = expected.Episodes[e], b = actual.Episodes[e];
            Assert.Equal(a.Length, b.Length);
            Assert.Equal(a.TaskIndex, b.TaskIndex);
            Assert.Equal(a.Mode, b.Mode);
            Assert.Equal(a.States.ToArray(), b.States.ToArray());
            Assert.Equal(a.Actions.ToArray(), b.Actions.ToArray());
            Assert.Equal(a.Timestamps.ToArray(), b.Timestamps.ToArray());
            Assert.Equal(a.HasRewards, b.HasRewards);
            Assert.Equal(a.Rewards.ToArray(), b.Rewards.ToArray());
            Assert.Equal(a.HasSuccesses, b.HasSuccesses);
            Assert.Equal(a.Successes.ToArray(), b.Successes.ToArray());
            Assert.Equal(a.HasDones, b.HasDones);
            Assert.Equal(a.Dones.ToArray(), b.Dones.ToArray());
        }
    }
}

/// <summary>A fresh directory under the system temp path, deleted on dispose.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "immiscible-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
