using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// A Diffusion Policy training run on demonstrations: min-max normalisers fitted on the data, windows with
/// Diffusion Policy's edge padding, the shared <see cref="DiffusionTrainer{TBatch}"/>, the configured noise
/// pairing, and an atomic checkpoint every few hundred steps from which a crashed run resumes.
/// </summary>
public static class PolicyTraining
{
    /// <summary>
    /// <paramref name="config"/> with what the dataset fixes: the observation/action sizes and the U-Net's input and
    /// condition sizes, the Push-T observation layout (<see cref="SimTasks.ObservationOf"/>) and the demonstrations' mode
    /// mix (from their episode labels), so the checkpoint says how to rebuild its environment and what mix it learnt from.
    /// </summary>
    public static PolicyRunConfig FitShapes(PolicyRunConfig config, DemonstrationDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(dataset);
        var p = config.Policy;
        if (p.Vision is { } vision)
        {
            // A vision policy: the state and the cameras come from the dataset; per step the U-Net is conditioned on
            // [state, 2K features per camera] (LeRobot's _prepare_global_conditioning), flattened over To.
            if (dataset.ImageFeatures.Count == 0)
                throw new ArgumentException("the policy observes camera images but the dataset has no image features; record one with images", nameof(dataset));
            vision = vision with { StateDim = dataset.StateDim, Cameras = dataset.ImageFeatures };
            return config with
            {
                Policy = p with
                {
                    ObsDim = vision.FeatureDim,
                    ActionDim = dataset.ActionDim,
                    Vision = vision,
                    Unet = p.Unet with { InputDim = dataset.ActionDim, GlobalCondDim = p.ObsSteps * vision.FeatureDim },
                },
            };
        }
        var policy = p with
        {
            ObsDim = dataset.StateDim,
            ActionDim = dataset.ActionDim,
            Unet = p.Unet with { InputDim = dataset.ActionDim, GlobalCondDim = p.ObsSteps * dataset.StateDim },
        };
        return config with
        {
            Policy = policy,
            Observation = config.Task == SimTaskKind.PushT ? SimTasks.ObservationOf(dataset) : config.Observation,
            DemonstrationModes = dataset.HasModes ? [.. dataset.ModeShares.Select(m => new ModeShare(m.Mode, m.Share))] : null,
        };
    }

    /// <summary>
    /// Trains (or resumes, when <paramref name="checkpointDir"/> holds a checkpoint of the same config) and
    /// returns the final EMA policy. <paramref name="onCheckpoint"/> runs after each checkpoint is written,
    /// e.g. for periodic closed-loop evaluation.
    /// </summary>
    public static TrainedPolicy Train(PolicyRunConfig config, DemonstrationDataset dataset, string checkpointDir,
        Action<TrainingProgress>? progress = null, Action<long, string>? onCheckpoint = null, bool resume = true,
        CancellationToken cancellationToken = default, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        config = FitShapes(config, dataset);
        config.Validate();
        var p = config.Policy;
        var sampler = new SequenceSampler(dataset, new SequenceHorizons(p.ObsSteps, p.Horizon, p.ActionSteps));
        if (sampler.Count == 0) throw new ArgumentException("the dataset yields no training windows", nameof(dataset));
        if (p.Vision is not null && !dataset.ImageFeatures.SequenceEqual(p.Vision.Cameras))
            throw new ArgumentException("the dataset's image features differ from the policy's cameras", nameof(dataset));
        var obsNorm = MinMaxNormalizer.Fit(AllStates(dataset), dataset.StateDim);
        var actNorm = FitActionNormalizer(dataset);

        torch.manual_seed(config.Trainer.Seed);
        var vision = p.Vision is null ? null : PolicyNetworks.VisionDenoiser(p);
        nn.Module network = vision ?? (nn.Module)PolicyNetworks.ConditionalUnet1D(p.Unet);
        nn.Module ema = vision is null ? PolicyNetworks.ConditionalUnet1D(p.Unet) : PolicyNetworks.VisionDenoiser(p);
        var unet = vision?.Unet ?? (ConditionalUnet1D)network;
        var policy = new DiffusionPolicy(unet, new DdpmScheduler(config.EffectiveSchedule), NoiseAssigners.Create(config.Noise), p);
        var scaling = new DataScaling(config.Noise.DataScale);

        using var trainer = new DiffusionTrainer<SequenceBatch>(config.Trainer, network, ema,
            (_, batch, generator, step) =>
            {
                Tensor obs;
                if (vision is null)
                {
                    obs = tensor(obsNorm.Normalize(batch.Observations)).reshape(batch.BatchSize, p.ObsSteps, p.ObsDim);     // (B, To, Do)
                }
                else
                {
                    // Camera frames: uint8 -> [0, 1] -> the image normaliser, then random crops drawn from the step's
                    // generator (before the noise pairing and timesteps), so a resumed run crops exactly alike.
                    var v = p.Vision!;
                    int frames = batch.BatchSize * p.ObsSteps;
                    var state = tensor(obsNorm.Normalize(batch.Observations)).reshape(batch.BatchSize, p.ObsSteps, v.StateDim); // (B, To, Ds)
                    var images = v.Cameras.Select((c, i) => v.Normalizer.Normalize(batch.CameraFrames[i], frames, c.Height, c.Width, c.Channels)
                        .reshape(batch.BatchSize, p.ObsSteps, c.Channels, c.Height, c.Width)).ToList();                        // (B, To, C, H, W)
                    obs = vision.EncodeObservations(state, images, generator);                                                 // (B, To, Do)
                }
                var act = tensor(actNorm.Normalize(batch.Actions)).reshape(batch.BatchSize, p.Horizon, p.ActionDim);        // (B, Tp, Da)
                if (!scaling.IsIdentity) act = scaling.Scale(act);
                return policy.ComputeLoss(obs, act, generator, step);
            },
            (_, random) => sampler.SampleBatch(config.Trainer.BatchSize, random));

        var existing = resume ? CheckpointDirectory.Resolve(checkpointDir) : null;
        if (existing is not null && File.Exists(Path.Combine(existing, "training_state.json")))
        {
            var saved = PolicyCheckpoint.ReadConfig(existing);
            if (saved.ToJson() != config.ToJson())
                throw new InvalidOperationException(
                    $"{checkpointDir} holds a checkpoint of a different configuration; pass another --out or delete it to start over");
            trainer.LoadState(existing);
        }

        // Insurance: the training path keeps every Scalar it passes to libtorch alive (docs/design.md "Native
        // safety", checked by the IL scan and the GC stress test), but should a native libtorch error still happen
        // mid-run, it costs at most the steps since the last checkpoint: the run reloads it and continues, exactly as
        // a rerun of the command would.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                trainer.Run(progress: progress, checkpoint: step =>
                {
                    PolicyCheckpoint.Save(checkpointDir, config, obsNorm, actNorm, trainer);
                    onCheckpoint?.Invoke(step, checkpointDir);
                }, cancellationToken: cancellationToken);
                break;
            }
            catch (System.Runtime.InteropServices.ExternalException e) when (attempt < MaxNativeRecoveries
                && CheckpointDirectory.Resolve(checkpointDir) is { } last && File.Exists(Path.Combine(last, "training_state.json")))
            {
                log?.Invoke($"native error at step {trainer.Step} ({FirstLine(e.Message)}); resuming from the checkpoint in {last}");
                trainer.LoadState(last);
            }
        }
        if (trainer.Step == config.Trainer.Steps && !File.Exists(Path.Combine(checkpointDir, "training_state.json")))
            PolicyCheckpoint.Save(checkpointDir, config, obsNorm, actNorm, trainer);
        network.Dispose();
        return PolicyCheckpoint.Load(checkpointDir);
    }

    /// <summary>How many native errors one run recovers from before giving up.</summary>
    public const int MaxNativeRecoveries = 3;

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static float[] AllStates(DemonstrationDataset d) => d.Episodes.SelectMany(e => e.States.ToArray()).ToArray();

    /// <summary>The action normaliser a training run fits on <paramref name="dataset"/> (min-max over every frame).</summary>
    public static MinMaxNormalizer FitActionNormalizer(DemonstrationDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return MinMaxNormalizer.Fit(dataset.Episodes.SelectMany(e => e.Actions.ToArray()).ToArray(), dataset.ActionDim);
    }
}
