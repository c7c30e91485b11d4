namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// A batch of training windows as flat arrays.
/// </summary>
/// <param name="Observations">(BatchSize, ObservationSteps, StateDim) row-major.</param>
/// <param name="Actions">(BatchSize, PredictionHorizon, ActionDim) row-major.</param>
/// <param name="Images">per camera (the dataset's <see cref="DemonstrationDataset.ImageFeatures"/> order), the frames of the
/// observation steps, (BatchSize, ObservationSteps, H, W, C) uint8 row-major; empty for a state-only dataset.</param>
public sealed record SequenceBatch(
    int BatchSize, int ObservationSteps, int StateDim, int PredictionHorizon, int ActionDim,
    float[] Observations, float[] Actions, IReadOnlyList<byte[]>? Images = null)
{
    /// <summary>Camera frames per image feature; empty when the dataset has none.</summary>
    public IReadOnlyList<byte[]> CameraFrames => Images ?? [];
}
