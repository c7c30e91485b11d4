using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// What a policy sees at one control step: the observation.state vector in task units and, for a vision policy, one
/// frame per camera (LeRobot's observation.state + observation.image(s)). Built from a simulator step here, or from a
/// robot's request message later; <see cref="CameraFrame"/> carries exactly a wire image (name, shape, bytes).
/// </summary>
/// <param name="State">observation.state, task units.</param>
/// <param name="Images">camera frames, empty for a state-only observation.</param>
public sealed record Observation(double[] State, IReadOnlyList<CameraFrame> Images)
{
    /// <summary>A state-only observation.</summary>
    public static Observation FromState(double[] state) => new(state, []);
}

/// <summary>The last To observations of one environment, oldest first: what a planner conditions on.</summary>
/// <param name="Steps">To observations.</param>
public sealed record ObservationWindow(IReadOnlyList<Observation> Steps)
{
    /// <summary>The state vectors of the steps, (To, n).</summary>
    public double[][] States() => [.. Steps.Select(s => s.State)];

    /// <summary>A window of state-only observations.</summary>
    public static ObservationWindow FromStates(IReadOnlyList<double[]> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        return new ObservationWindow([.. states.Select(Observation.FromState)]);
    }
}
