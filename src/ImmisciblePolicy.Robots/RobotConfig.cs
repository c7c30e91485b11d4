using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robots;

/// <summary>How a simulated robot drives its task against a planning server.</summary>
/// <param name="Task">the simulated task.</param>
/// <param name="Mode">sync receding horizon (reproducible) or LeRobot-style async queue.</param>
/// <param name="Queue">merge rule and refill threshold of the async queue; null = LeRobot's 0.3/0.7 blend at 0.5.</param>
/// <param name="ControlHz">async pacing in control steps per second; 0 = step as soon as an action is queued
/// (simulation runs faster than real time; planning still overlaps acting).</param>
/// <param name="InferenceSteps">denoising steps override sent with every request; null = the policy's default.</param>
/// <param name="Stream">async only: one StreamPlans call per episode instead of unary Plans (no per-request
/// connection setup; a broken stream ends the episode with the server's status, it is not retried).</param>
/// <param name="Observation">Push-T observation layout of the robot's environment: the served policy's (its config.json).</param>
public sealed record RobotConfig(
    SimTaskKind Task,
    RobotMode Mode = RobotMode.Sync,
    ActionQueueConfig? Queue = null,
    double ControlHz = 0,
    int? InferenceSteps = null,
    bool Stream = false,
    PushTObservation Observation = SimTasks.DefaultObservation)
{
    /// <summary>Throws on a negative or non-finite control rate or an invalid queue config.</summary>
    public void Validate()
    {
        if (!(ControlHz >= 0) || double.IsInfinity(ControlHz))
            throw new ArgumentException($"control rate must be a finite number >= 0 Hz; received {ControlHz}", nameof(ControlHz));
        if (Stream && Mode != RobotMode.Async)
            throw new ArgumentException("streaming plans is an async-mode option; sync robots ask with unary Plans", nameof(Stream));
        if (InferenceSteps is < 1) throw new ArgumentException($"inference steps must be at least 1; received {InferenceSteps}", nameof(InferenceSteps));
        (Queue ?? new ActionQueueConfig()).Validate();
    }
}
