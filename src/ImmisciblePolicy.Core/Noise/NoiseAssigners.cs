namespace ImmisciblePolicy.Core.Noise;

/// <summary>Builds the assigner a <see cref="NoiseAssignmentConfig"/> describes.</summary>
public static class NoiseAssigners
{
    /// <summary>
    /// The configured method, wrapped in a <see cref="WarmupNoiseAssigner"/> when WarmupSteps > 0 (a vanilla
    /// method needs no warm-up). DataScale is not applied here: the trainer scales x0 with
    /// <see cref="DataScaling"/> before calling Assign.
    /// </summary>
    public static INoiseAssigner Create(NoiseAssignmentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        INoiseAssigner assigner = config.Method switch
        {
            NoiseAssignmentMethod.Vanilla => new VanillaNoise(),
            NoiseAssignmentMethod.LinearAssignment => new LinearAssignmentNoise(config),
            NoiseAssignmentMethod.Knn => new KnnNoiseSelector(config),
            NoiseAssignmentMethod.ObservationAwareAssignment => new ObservationAwareAssignmentNoise(config),
            _ => throw new ArgumentException($"Method {config.Method} is not supported", nameof(config)),
        };
        return config.WarmupSteps > 0 && config.Method != NoiseAssignmentMethod.Vanilla
            ? new WarmupNoiseAssigner(assigner, config.WarmupSteps)
            : assigner;
    }
}
