using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// Task-agnostic solution-mode labels: every task names its modes with strings (the bimodal task "left" / "right",
/// Push-T "clockwise" / "counterclockwise"), and a rollout that fits none is <see cref="Unclassified"/>. The same names
/// label demonstrations (the dataset's episode_mode), rollouts (<see cref="EpisodeResult.Mode"/>) and the mode
/// metrics of <see cref="EvaluationResult"/>.
/// </summary>
public static class TaskModes
{
    /// <summary>The label of a rollout that took no solution mode (e.g. never got round the obstacle, never turned the T).</summary>
    public const string Unclassified = "none";

    /// <summary>The solution modes of <paramref name="task"/>, in the order of dataset labels.</summary>
    public static IReadOnlyList<string> Names(SimTaskKind task) => task switch
    {
        SimTaskKind.PushT => PushTNames,
        SimTaskKind.Bimodal => BimodalNames,
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task"),
    };

    /// <summary>The label of a Push-T mode (<see cref="PushTMode.None"/> is <see cref="Unclassified"/>).</summary>
    public static string Name(PushTMode mode) => mode switch
    {
        PushTMode.Clockwise => PushTNames[0],
        PushTMode.CounterClockwise => PushTNames[1],
        PushTMode.None => Unclassified,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown Push-T mode"),
    };

    /// <summary>The label of a reaching mode (<see cref="ReachMode.None"/> is <see cref="Unclassified"/>).</summary>
    public static string Name(ReachMode mode) => mode switch
    {
        ReachMode.Left => BimodalNames[0],
        ReachMode.Right => BimodalNames[1],
        ReachMode.None => Unclassified,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown reaching mode"),
    };

    /// <summary>
    /// The mode of a finished rollout from what it showed: the agent path for the bimodal task
    /// (<see cref="BimodalReachEnv.ModeOf"/>), the block poses for Push-T (<see cref="PushTModeClassifier"/>).
    /// </summary>
    /// <param name="agentPath">agent positions, the initial one first.</param>
    /// <param name="blockPath">Push-T block poses, the initial one first (empty for the bimodal task).</param>
    public static string Classify(SimTaskKind task, IReadOnlyList<Vec2> agentPath, IReadOnlyList<Pose2> blockPath)
    {
        ArgumentNullException.ThrowIfNull(agentPath);
        ArgumentNullException.ThrowIfNull(blockPath);
        return task switch
        {
            SimTaskKind.PushT => Name(PushTModeClassifier.Classify(blockPath)),
            SimTaskKind.Bimodal => Name(BimodalReachEnv.ModeOf(agentPath)),
            _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task"),
        };
    }

    private static readonly string[] PushTNames = ["clockwise", "counterclockwise"];
    private static readonly string[] BimodalNames = ["left", "right"];
}
