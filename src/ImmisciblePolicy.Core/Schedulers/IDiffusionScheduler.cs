using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// A discrete-time diffusion scheduler (DDPM, DDIM) with diffusers' numerics. Immutable after construction:
/// unlike diffusers there is no stored step index, so one instance is safe to share between concurrent
/// requests; the number of inference steps is passed to each call instead.
/// </summary>
public interface IDiffusionScheduler
{
    /// <summary>Number of training timesteps T (timesteps are 0..T-1).</summary>
    int NumTrainTimesteps { get; }

    /// <summary>What the denoiser is trained to predict.</summary>
    PredictionType PredictionType { get; }

    /// <summary>Forward process q(x_t | x_0): sqrt(abar_t) x0 + sqrt(1 - abar_t) eps. Shapes: x0, noise (B, ...); timesteps int64 (B).</summary>
    Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps);

    /// <summary>The regression target for the prediction type: eps, x0, or v = sqrt(abar) eps - sqrt(1 - abar) x0.</summary>
    Tensor TrainingTarget(Tensor original, Tensor noise, Tensor timesteps);

    /// <summary>Timesteps visited when sampling with <paramref name="numInferenceSteps"/> steps, descending.</summary>
    long[] InferenceTimesteps(int numInferenceSteps);

    /// <summary>
    /// One reverse step from x_t at <paramref name="timestep"/> to the previous timestep of a
    /// <paramref name="numInferenceSteps"/>-step schedule. Shapes: modelOutput, sample (B, ...).
    /// </summary>
    Tensor Step(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Generator? generator);

    /// <summary>
    /// Whether the step at <paramref name="timestep"/> of a <paramref name="numInferenceSteps"/>-step schedule adds
    /// variance noise sigma_t z (DDPM: every step but t = 0; DDIM: when eta &gt; 0). <see cref="Step"/> draws z from its
    /// generator exactly when this is true.
    /// </summary>
    bool NeedsVarianceNoise(long timestep, int numInferenceSteps);

    /// <summary>
    /// The same reverse step as <see cref="Step"/> with the variance noise z given instead of drawn (diffusers'
    /// <c>variance_noise</c> argument of DDIMScheduler.step), so each row of a batch can take its noise from its own
    /// generator. <paramref name="varianceNoise"/> has modelOutput's shape (B, ...) and is required exactly when
    /// <see cref="NeedsVarianceNoise"/> is true (null otherwise). <c>Step(.., generator)</c> equals this with
    /// <c>randn(modelOutput.shape, generator)</c> as the noise.
    /// </summary>
    Tensor StepWithNoise(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Tensor? varianceNoise);
}

/// <summary>diffusers' prediction_type.</summary>
public enum PredictionType
{
    /// <summary>Predict the noise eps ("epsilon").</summary>
    Epsilon,
    /// <summary>Predict the clean sample x0 ("sample").</summary>
    Sample,
    /// <summary>Predict the velocity v = sqrt(abar) eps - sqrt(1 - abar) x0 ("v_prediction").</summary>
    VPrediction,
}
