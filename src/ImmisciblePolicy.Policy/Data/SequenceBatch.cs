namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// A batch of training windows as flat float32 arrays.
/// </summary>
/// <param name="Observations">(BatchSize, ObservationSteps, StateDim) row-major.</param>
/// <param name="Actions">(BatchSize, PredictionHorizon, ActionDim) row-major.</param>
public sealed record SequenceBatch(
    int BatchSize, int ObservationSteps, int StateDim, int PredictionHorizon, int ActionDim,
    float[] Observations, float[] Actions);
