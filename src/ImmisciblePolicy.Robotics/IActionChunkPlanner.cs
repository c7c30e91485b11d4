using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// Anything that turns observation windows into action chunks: a policy in this process, a policy behind a
/// gRPC server, or a baseline. Closed-loop evaluation drives tasks through this interface only.
/// </summary>
public interface IActionChunkPlanner
{
    /// <summary>Observation steps To in a window.</summary>
    int ObservationSteps { get; }

    /// <summary>
    /// Plans for a batch of environments. <paramref name="windows"/>[b] holds To observations, oldest first,
    /// in task units. Returns per environment the actions to execute (Ta of them), in task units.
    /// </summary>
    /// <param name="seed">seed of the sampler's draws for this call.</param>
    double[][][] Plan(IReadOnlyList<double[][]> windows, long seed);

    /// <summary>
    /// Camera features the planner needs in every observation (in the order it concatenates them); empty for a
    /// state-only planner. A planner with cameras observes the task's pixel observation (<see cref="PixelObservations"/>).
    /// </summary>
    IReadOnlyList<ImageFeature> Cameras => [];

    /// <summary>
    /// Plans from windows of full observations (state and camera frames). State-only planners use the states alone,
    /// so every existing planner accepts image windows unchanged.
    /// </summary>
    double[][][] Plan(IReadOnlyList<ObservationWindow> windows, long seed)
    {
        ArgumentNullException.ThrowIfNull(windows);
        return Plan([.. windows.Select(w => w.States())], seed);
    }
}
