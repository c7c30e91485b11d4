namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Settings of <see cref="PushTExpert"/>; defaults were tuned on seeds 0..19 (see the expert's remarks).
/// </summary>
/// <param name="ContactSpacing">Spacing (px) of candidate contact points along the T's boundary.</param>
/// <param name="CornerMargin">Candidate contacts keep this far (px) from convex corners, where the normal is ambiguous.</param>
/// <param name="TopContacts">How many best-aligned contacts are simulated per decision.</param>
/// <param name="PushFractions">Push lengths tried, as fractions of the remaining pose error (px-equivalent).</param>
/// <param name="MinPush">Shortest push (px) derived from the pose error.</param>
/// <param name="FinePush">Fixed short pushes (FinePush, 2 FinePush px) also tried near the goal, where the last 1-2 px decide success.</param>
/// <param name="MaxPush">Longest push (px) per decision, so the plan is re-evaluated often.</param>
/// <param name="TravelSpeed">Target spacing (px per control step) while travelling to a contact.</param>
/// <param name="PushSpeed">Target spacing (px per control step) while pushing.</param>
/// <param name="ClearanceRadius">Radius (px) around the block's centre of gravity that contains the T inflated by the agent (76.5 + 15 + margin).</param>
/// <param name="SettleSteps">Steps holding the last target after a push so the PD-tracked agent (critically damped, 10 rad/s) reaches it and stops.</param>
/// <param name="RotationRadius">Length (px) that converts an angle error to a distance: sqrt(I / m) = sqrt(3000) ~ 55.</param>
/// <param name="StepPenalty">Cost per control step used (px-equivalent), trading speed against accuracy.</param>
public sealed record PushTExpertConfig(
    double ContactSpacing = 8,
    double CornerMargin = 4,
    int TopContacts = 16,
    double[]? PushFractions = null,
    double MinPush = 1.0,
    double FinePush = 1.0,
    double MaxPush = 60,
    double TravelSpeed = 30,
    double PushSpeed = 10,
    double ClearanceRadius = 100,
    int SettleSteps = 4,
    double RotationRadius = 55,
    double StepPenalty = 0.05)
{
    /// <summary>
    /// Settings of the multimodal demonstrations (<see cref="PushTExpert.Run(PushTEnv, PushTMode, HumanVariability?, long)"/>
    /// with a direction): a directed mode may have to turn the T by up to a full turn within the 300-step limit, so
    /// pushes are longer (MaxPush 90 px) and faster (15 px per step). Measured on seeds 0..99 and 100000..100099 (before
    /// the physics swap): 400/400 successes over both modes, 146 steps on average, at most 264; the defaults managed
    /// 35 of 40 counter-clockwise episodes (the rest ran out of steps on near-full turns).
    /// </summary>
    public static PushTExpertConfig Multimodal { get; } = new(MaxPush: 90, PushSpeed: 15);

    /// <summary>Default push fractions: from cautious to the full least-squares push.</summary>
    public double[] EffectivePushFractions => PushFractions ?? [0.15, 0.3, 0.6, 1.0];
}
