namespace ImmisciblePolicy.Robots;

/// <summary>
/// One action of a chunk, stamped with the control step it is meant for (LeRobot async inference's
/// TimedAction: timestep plus action; the wall-clock timestamp follows as obs time + i * dt).
/// </summary>
/// <param name="Timestep">control step at which the robot should execute <paramref name="Action"/>.</param>
/// <param name="Action">the action in task units (Push-T: the agent's target position).</param>
public readonly record struct TimedAction(long Timestep, double[] Action);
