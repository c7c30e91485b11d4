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
}
