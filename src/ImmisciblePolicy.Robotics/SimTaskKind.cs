using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics;

/// <summary>The simulated tasks a policy can be trained and scored on.</summary>
public enum SimTaskKind
{
    /// <summary>Push-T (gym-pusht), keypoint observations as Diffusion Policy's low-dim runs.</summary>
    PushT,
    /// <summary>Reach a goal around an obstacle, left or right: the bimodal task of the mode analysis.</summary>
    Bimodal,
}

/// <summary>Builds tasks and names their observation and action features.</summary>
public static class SimTasks
{
    /// <summary>A fresh environment of <paramref name="kind"/>.</summary>
    public static ISimTask Create(SimTaskKind kind) => kind switch
    {
        // Diffusion Policy's low-dim Push-T observes the 9 keypoints of the T plus the agent (20 numbers),
        // which avoids the angle's wrap-around at 2 pi.
        SimTaskKind.PushT => new PushTEnv(new PushTConfig(Observation: PushTObservation.Keypoints)),
        SimTaskKind.Bimodal => new BimodalReachEnv(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown task"),
    };

    /// <summary>Names of the observation vector's entries (stored in the dataset's features).</summary>
    public static string[] ObservationNames(SimTaskKind kind)
    {
        var env = Create(kind);
        return kind switch
        {
            SimTaskKind.PushT => Enumerable.Range(0, (env.ObservationSize - 2) / 2)
                .SelectMany(i => new[] { $"keypoint{i}.x", $"keypoint{i}.y" }).Concat(["agent.x", "agent.y"]).ToArray(),
            _ => ["agent.x", "agent.y"],
        };
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
}
