using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics;

/// <summary>The simulated tasks a policy can be trained and scored on.</summary>
public enum SimTaskKind
{
    /// <summary>Push-T (gym-pusht); keypoint observations by default, as Diffusion Policy's low-dim runs.</summary>
    PushT,
    /// <summary>Reach a goal around an obstacle, left or right: the bimodal task of the mode analysis.</summary>
    Bimodal,
}

/// <summary>Builds tasks and names their observation and action features.</summary>
public static class SimTasks
{
    /// <summary>
    /// The Push-T observation layout policies use unless told otherwise: Diffusion Policy's low-dim Push-T observes the
    /// 9 keypoints of the T plus the agent (20 numbers), which avoids the angle's wrap-around at 2 pi.
    /// </summary>
    public const PushTObservation DefaultObservation = PushTObservation.Keypoints;

    /// <summary>A fresh environment of <paramref name="kind"/>; <paramref name="observation"/> picks Push-T's layout (ignored by the bimodal task).</summary>
    public static ISimTask Create(SimTaskKind kind, PushTObservation observation = DefaultObservation) => kind switch
    {
        SimTaskKind.PushT => new PushTEnv(new PushTConfig(Observation: observation)),
        SimTaskKind.Bimodal => new BimodalReachEnv(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown task"),
    };

    /// <summary>Names of the observation vector's entries (stored in the dataset's features).</summary>
    public static string[] ObservationNames(SimTaskKind kind, PushTObservation observation = DefaultObservation) => kind switch
    {
        SimTaskKind.PushT => observation switch
        {
            PushTObservation.State => ["agent.x", "agent.y", "block.x", "block.y", "block.angle"],
            PushTObservation.Keypoints => [.. Points("keypoint", Sim.Geometry.TKeypoints.Count), "agent.x", "agent.y"],
            PushTObservation.EnvironmentStateAgentPos => [.. Points("corner", Sim.Geometry.TBoxCorners.Count), "agent.x", "agent.y"],
            _ => throw new ArgumentOutOfRangeException(nameof(observation), observation, "unknown Push-T observation layout"),
        },
        _ => ["agent.x", "agent.y"],
    };

    /// <summary>
    /// How many leading entries of the observation LeRobot stores as observation.environment_state: the 16 block-corner
    /// coordinates of gym-pusht's environment_state_agent_pos (the agent position is observation.state, as in LeRobot's
    /// pusht_keypoints dataset), else 0 (the whole vector is observation.state, as LeRobot's pusht dataset stores the
    /// agent and gym-pusht's "state" variant has it).
    /// </summary>
    public static int EnvironmentStateDim(SimTaskKind kind, PushTObservation observation = DefaultObservation) =>
        kind == SimTaskKind.PushT && observation == PushTObservation.EnvironmentStateAgentPos ? 2 * Sim.Geometry.TBoxCorners.Count : 0;

    /// <summary>
    /// The Push-T layout a dataset was recorded with, from its widths: 16 environment-state entries + 2 state entries
    /// (environment_state_agent_pos), 5 (state) or 20 (keypoints).
    /// </summary>
    /// <exception cref="ArgumentException">the widths fit no layout; the message gives them.</exception>
    public static PushTObservation ObservationOf(DemonstrationDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        int e = dataset.EnvironmentStateDim, n = dataset.StateDim;
        if (e == 2 * Sim.Geometry.TBoxCorners.Count && n == e + 2) return PushTObservation.EnvironmentStateAgentPos;
        if (e == 0 && n == PushTEnv.SizeOf(PushTObservation.State)) return PushTObservation.State;
        if (e == 0 && n == PushTEnv.SizeOf(PushTObservation.Keypoints)) return PushTObservation.Keypoints;
        throw new ArgumentException(
            $"the dataset's observations ({n} values, {e} of them observation.environment_state) fit no Push-T layout: " +
            "expected state (5), keypoints (20) or environment_state (16) + agent_pos (2)", nameof(dataset));
    }

    /// <summary>Names of the action entries: the agent's target position.</summary>
    public static string[] ActionNames { get; } = ["target.x", "target.y"];

    /// <summary>The task text stored with demonstrations.</summary>
    public static string Description(SimTaskKind kind) => kind switch
    {
        SimTaskKind.PushT => "Push the T-shaped block onto the goal pose.",
        _ => "Reach the goal above the obstacle, going round either side.",
    };

    /// <summary>Parses a command-line task name ("pusht", "bimodal").</summary>
    public static SimTaskKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "pusht" or "push-t" => SimTaskKind.PushT,
        "bimodal" => SimTaskKind.Bimodal,
        _ => throw new ArgumentException($"unknown task '{name}': expected 'pusht' or 'bimodal'", nameof(name)),
    };

    /// <summary>Parses a command-line Push-T observation name ("state", "env-state", "keypoints").</summary>
    public static PushTObservation ParseObservation(string name) => name.Trim().ToLowerInvariant() switch
    {
        "state" => PushTObservation.State,
        "env-state" or "environment_state_agent_pos" or "environment-state" => PushTObservation.EnvironmentStateAgentPos,
        "keypoints" => PushTObservation.Keypoints,
        _ => throw new ArgumentException($"unknown Push-T observation '{name}': expected 'state', 'env-state' or 'keypoints'", nameof(name)),
    };

    private static IEnumerable<string> Points(string prefix, int count) =>
        Enumerable.Range(0, count).SelectMany(i => new[] { $"{prefix}{i}.x", $"{prefix}{i}.y" });
}
