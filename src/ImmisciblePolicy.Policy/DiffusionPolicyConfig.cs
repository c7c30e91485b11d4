using ImmisciblePolicy.Policy.Networks;

namespace ImmisciblePolicy.Policy;

/// <summary>
/// Shapes and horizons of a low-dim Diffusion Policy (diffusion_policy
/// train_diffusion_unet_lowdim_workspace.yaml with obs_as_global_cond: the observation window conditions the
/// U-Net through FiLM and only actions are diffused). Travels inside checkpoints with the network config.
/// </summary>
public sealed record DiffusionPolicyConfig
{
    /// <summary>Observation features Do; 20 for Push-T low-dim (9 block keypoints x 2 + agent x, y).</summary>
    public int ObsDim { get; init; } = 20;

    /// <summary>Action dimension Da; 2 for Push-T (target x, y of the agent).</summary>
    public int ActionDim { get; init; } = 2;

    /// <summary>Observation window To; 2 as published.</summary>
    public int ObsSteps { get; init; } = 2;

    /// <summary>Prediction horizon Tp (the diffused action chunk length); 16 as published.</summary>
    public int Horizon { get; init; } = 16;

    /// <summary>Executed actions Ta, taken from index To - 1 of the chunk; 8 as published.</summary>
    public int ActionSteps { get; init; } = 8;

    /// <summary>The denoiser; its InputDim must equal ActionDim and GlobalCondDim must equal ObsSteps x ObsDim.</summary>
    public UnetConfig Unet { get; init; } = new();

    /// <summary>
    /// Cameras and their encoder for a vision-conditioned policy; null for a state-only policy. When set,
    /// <see cref="ObsDim"/> is the per-step condition width StateDim + cameras x 2K (state, then image features).
    /// </summary>
    public VisionConfig? Vision { get; init; }

    /// <summary>Width of the observation.state vector the caller passes per step (ObsDim for a state-only policy).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int StateDim => Vision?.StateDim ?? ObsDim;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        if (ObsDim < 1) throw new ArgumentException($"{nameof(ObsDim)} must be positive; got {ObsDim}", nameof(ObsDim));
        if (ActionDim < 1) throw new ArgumentException($"{nameof(ActionDim)} must be positive; got {ActionDim}", nameof(ActionDim));
        if (ObsSteps < 1) throw new ArgumentException($"{nameof(ObsSteps)} must be positive; got {ObsSteps}", nameof(ObsSteps));
        if (ActionSteps < 1) throw new ArgumentException($"{nameof(ActionSteps)} must be positive; got {ActionSteps}", nameof(ActionSteps));
        ArgumentNullException.ThrowIfNull(Unet, nameof(Unet));
        Unet.Validate();
        Unet.ValidateHorizon(Horizon);
        if (ObsSteps - 1 + ActionSteps > Horizon)
            throw new ArgumentException(
                $"executed actions run from index {nameof(ObsSteps)} - 1 = {ObsSteps - 1} for {nameof(ActionSteps)} = {ActionSteps} steps, " +
                $"past {nameof(Horizon)} = {Horizon}", nameof(ActionSteps));
        if (Vision is not null)
        {
            Vision.Validate();
            if (ObsDim != Vision.FeatureDim)
                throw new ArgumentException(
                    $"{nameof(ObsDim)} of a vision policy must be StateDim + cameras x 2 keypoints = {Vision.StateDim} + {Vision.Cameras.Count} x {Vision.Encoder.FeatureDim} = {Vision.FeatureDim}; got {ObsDim}",
                    nameof(ObsDim));
        }
        if (Unet.InputDim != ActionDim)
            throw new ArgumentException($"Unet.InputDim must equal {nameof(ActionDim)} = {ActionDim}; got {Unet.InputDim}", nameof(Unet));
        if (Unet.GlobalCondDim != ObsSteps * ObsDim)
            throw new ArgumentException(
                $"Unet.GlobalCondDim must equal {nameof(ObsSteps)} x {nameof(ObsDim)} = {ObsSteps * ObsDim}; got {Unet.GlobalCondDim}", nameof(Unet));
    }
}
