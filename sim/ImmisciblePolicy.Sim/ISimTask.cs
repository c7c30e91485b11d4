namespace ImmisciblePolicy.Sim;

/// <summary>
/// A simulated control task driven by 2D target-position actions at a fixed control rate; both
/// <see cref="PushT.PushTEnv"/> and <see cref="Bimodal.BimodalReachEnv"/> implement it so a policy
/// can drive either.
/// </summary>
public interface ISimTask
{
    /// <summary>Length of every observation vector.</summary>
    int ObservationSize { get; }

    /// <summary>Length of every action vector (2: target x, y in world pixels).</summary>
    int ActionSize { get; }

    /// <summary>Episode length limit in control steps.</summary>
    int MaxSteps { get; }

    /// <summary>Control steps per second (10 for both tasks).</summary>
    int ControlHz { get; }

    /// <summary>Control steps taken since the last reset.</summary>
    int StepCount { get; }

    /// <summary>Starts a new episode; the same seed gives the same initial state and trajectory.</summary>
    double[] Reset(long seed);

    /// <summary>Applies one action for one control period.</summary>
    StepResult Step(ReadOnlySpan<double> action);

    /// <summary>The current observation (what the last Reset/Step returned).</summary>
    double[] Observe();

    /// <summary>An independent copy of the task in its current state (for planning and rollouts).</summary>
    ISimTask Clone();
}
