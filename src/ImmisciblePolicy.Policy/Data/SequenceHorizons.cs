namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Diffusion Policy's three horizons (Chi et al. 2023, Sec. 3.1; diffusion_policy config pusht low-dim).
/// </summary>
/// <param name="ObservationSteps">To: observations the policy conditions on (Push-T: 2).</param>
/// <param name="PredictionHorizon">Tp: actions the model predicts per sample (Push-T: 16).</param>
/// <param name="ActionSteps">Ta: actions executed per prediction, taken from index To - 1 (Push-T: 8).</param>
public sealed record SequenceHorizons(int ObservationSteps = 2, int PredictionHorizon = 16, int ActionSteps = 8)
{
    /// <summary>Throws unless 1 &lt;= To, 1 &lt;= Ta and the executed actions fit the prediction: To - 1 + Ta &lt;= Tp.</summary>
    public void Validate()
    {
        if (ObservationSteps < 1)
            throw new ArgumentException($"ObservationSteps (To) must be at least 1, received {ObservationSteps}", nameof(ObservationSteps));
        if (ActionSteps < 1)
            throw new ArgumentException($"ActionSteps (Ta) must be at least 1, received {ActionSteps}", nameof(ActionSteps));
        if (ObservationSteps - 1 + ActionSteps > PredictionHorizon)
            throw new ArgumentException(
                $"PredictionHorizon (Tp) must hold the executed actions: To - 1 + Ta = {ObservationSteps - 1 + ActionSteps} > Tp = {PredictionHorizon}",
                nameof(PredictionHorizon));
    }
}
