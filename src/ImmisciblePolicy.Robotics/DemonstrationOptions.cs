using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics;

/// <summary>How <see cref="DemonstrationGenerator"/> records demonstrations.</summary>
public sealed record DemonstrationOptions
{
    /// <summary>Push-T observation layout of the recorded observations (default: Diffusion Policy's 20 keypoint values).</summary>
    public PushTObservation Observation { get; init; } = SimTasks.DefaultObservation;

    /// <summary>
    /// Push-T: the share of episodes in which the expert turns the T clockwise onto the goal angle; the others turn it
    /// counter-clockwise. Each episode's mode is drawn from its own seed (<see cref="DemonstrationGenerator.PushTModeFor"/>),
    /// so a dataset is reproducible and any subset of seeds has the same expected mix. Default 0.5 (a 50/50 bimodal
    /// target). Null: the unimodal expert that always takes the shorter way (the demonstrations of the published study
    /// runs, which carry no mode labels). Bimodal reach: the share of episodes reaching the left target, in exact
    /// proportions (<see cref="DemonstrationGenerator.BimodalSideFor"/>; 0.5 and null alternate sides).
    /// </summary>
    public double? ModeMix { get; init; } = 0.5;

    /// <summary>Human-like variability of the Push-T expert (speeds, pauses, wobble), or null for the plain scripted expert.</summary>
    public HumanVariability? Human { get; init; }

    /// <summary>The unimodal Push-T expert (shorter way, no labels), as every dataset was recorded before modes existed.</summary>
    public static DemonstrationOptions Unimodal { get; } = new() { ModeMix = null };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Observation))
            throw new ArgumentException($"unknown Push-T observation layout {Observation}", nameof(Observation));
        if (ModeMix is double mix && !(mix >= 0 && mix <= 1))
            throw new ArgumentException($"{nameof(ModeMix)} must be in [0, 1] (the clockwise share); got {mix}", nameof(ModeMix));
        Human?.Validate();
    }
}
