namespace ImmisciblePolicy.Sim;

/// <summary>
/// One scripted demonstration: Observations[t] was seen before Actions[t] was applied and
/// Rewards[t] came back, so the three lists have the same length.
/// </summary>
/// <param name="Observations">Observation before each action.</param>
/// <param name="Actions">Target positions (x, y) sent to the task.</param>
/// <param name="Rewards">Reward returned by each step.</param>
/// <param name="FinalScore">Task score after the last step (coverage for Push-T).</param>
/// <param name="MaxScore">Best score seen during the episode (the Diffusion Policy evaluation metric uses max reward).</param>
/// <param name="Success">Whether the task's success criterion held at the end.</param>
public sealed record ExpertEpisode(
    IReadOnlyList<double[]> Observations,
    IReadOnlyList<double[]> Actions,
    IReadOnlyList<double> Rewards,
    double FinalScore,
    double MaxScore,
    bool Success);
