namespace ImmisciblePolicy.Sim;

/// <summary>
/// Outcome of one control step.
/// </summary>
/// <param name="Observation">Observation after the step (length = ObservationSize).</param>
/// <param name="Reward">Task reward in [0, 1].</param>
/// <param name="Done">True when the episode ended: success (terminated) or the step limit (truncated).</param>
/// <param name="Score">Task score in [0, 1]: coverage for Push-T, goal progress for the reaching task.</param>
/// <param name="Success">True when the task's success criterion holds after this step.</param>
public sealed record StepResult(double[] Observation, double Reward, bool Done, double Score, bool Success);
