using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Data;
using ImmisciblePolicy.Images.Diffusion;
using ImmisciblePolicy.Images.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Latent;

/// <summary>
/// Latent diffusion (Rombach et al. 2022) at CPU size: an autoencoder trained for reconstruction, then an
/// <see cref="ImageDiffusion"/> trained on scaled latents with the shared trainer. The noise assigner sees the
/// latent batch, so immiscible pairing runs in latent space through the same <see cref="INoiseAssigner"/> - the
/// "any layer" property of Immiscible Diffusion (its Stable Diffusion experiments assign in the VAE latent).
/// </summary>
public sealed class LatentDiffusion
{
    /// <param name="autoencoder">trained autoencoder (frozen).</param>
    /// <param name="diffusion">diffusion model over latents (B, LatentChannels, s, s).</param>
    /// <param name="latentScale">latents are multiplied by this before diffusion (1 / their std, Stable Diffusion's scaling factor).</param>
    public LatentDiffusion(ConvAutoencoder autoencoder, ImageDiffusion diffusion, double latentScale)
    {
        ArgumentNullException.ThrowIfNull(autoencoder);
        ArgumentNullException.ThrowIfNull(diffusion);
        if (!(latentScale > 0 && double.IsFinite(latentScale)))
            throw new ArgumentOutOfRangeException(nameof(latentScale), latentScale, "must be finite and > 0");
        Autoencoder = autoencoder;
        Diffusion = diffusion;
        LatentScale = latentScale;
    }

    /// <summary>The frozen autoencoder.</summary>
    public ConvAutoencoder Autoencoder { get; }

    /// <summary>The latent diffusion model.</summary>
    public ImageDiffusion Diffusion { get; }

    /// <summary>Latent scale factor.</summary>
    public double LatentScale { get; }

    /// <summary>The latent diffusion run config for a dataset: U-Net over (LatentChannels, S / 4, S / 4), one level with attention, no x0 clipping.</summary>
    public static ImageRunConfig LatentRunConfig(ImageRunConfig imageConfig, AutoencoderConfig autoencoder, ImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(imageConfig);
        ArgumentNullException.ThrowIfNull(autoencoder);
        ArgumentNullException.ThrowIfNull(dataset);
        return imageConfig with
        {
            Unet = imageConfig.Unet with
            {
                InChannels = autoencoder.LatentChannels, ImageSize = dataset.Height / 4, Channels = [64], NumClasses = dataset.NumClasses,
            },
            // latents are not bounded by [-1, 1]
            Schedule = imageConfig.Schedule with { ClipSample = false },
            ClampSamples = false,
        };
    }

    /// <summary>Trains the autoencoder on <paramref name="dataset"/> with MSE and Adam; reports (step, loss) every 50 steps.</summary>
    public static ConvAutoencoder TrainAutoencoder(ImageDataset dataset, AutoencoderConfig config, long seed, Action<int, double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(config);
        if (dataset.Height % 4 != 0 || dataset.Height != dataset.Width)
            throw new ArgumentException($"latent diffusion needs square images with a size divisible by 4; received {dataset.Height}x{dataset.Width}", nameof(dataset));
        if (dataset.Channels != config.Channels)
            throw new ArgumentException($"autoencoder has {config.Channels} channels but the data {dataset.Channels}", nameof(config));
        torch.manual_seed(seed);
        var model = new ConvAutoencoder(config);
        using var optimizer = optim.Adam(model.parameters(), config.LearningRate);
        model.train();
        for (int step = 0; step < config.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var batch = ImageTraining.DrawBatch(dataset.Count, Math.Min(config.BatchSize, dataset.Count), new Random((int)TrainerConfig.StepSeed(seed, step)));
            var x = dataset.Images(batch); // (B, C, S, S)
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), x);
            loss.backward();
            optimizer.step();
            if (progress is not null && (step + 1) % 50 == 0) progress(step + 1, loss.item<float>());
        }
        model.eval();
        foreach (var p in model.parameters()) p.requires_grad = false;
        return model;
    }

    /// <summary>1 / std of the latents of up to 1000 images.</summary>
    public static double FitLatentScale(ConvAutoencoder autoencoder, ImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(autoencoder);
        ArgumentNullException.ThrowIfNull(dataset);
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var z = autoencoder.Encode(dataset.Images(Enumerable.Range(0, Math.Min(1000, dataset.Count)).ToArray()));
        return 1.0 / Math.Max(1e-6, z.std().item<float>());
    }

    /// <summary>
    /// Trains the latent diffusion model on frozen latents with the shared trainer (checkpoints in
    /// <paramref name="checkpointDir"/>); <paramref name="assigner"/> overrides the configured noise pairing (tests).
    /// </summary>
    public static LatentDiffusion Train(ImageRunConfig latentConfig, ConvAutoencoder autoencoder, double latentScale, ImageDataset dataset,
        string checkpointDir, Action<TrainingProgress>? progress = null, INoiseAssigner? assigner = null,
        Action<long, string>? onCheckpoint = null, bool resume = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(latentConfig);
        ArgumentNullException.ThrowIfNull(autoencoder);
        ArgumentNullException.ThrowIfNull(dataset);
        latentConfig.Validate();
        torch.manual_seed(latentConfig.Trainer.Seed);
        var network = new UNet2D(latentConfig.Unet);
        var ema = new UNet2D(latentConfig.Unet);
        var diffusion = new ImageDiffusion(network, latentConfig, assigner);
        bool conditional = dataset.Labels is not null && latentConfig.Unet.NumClasses > 0;
        using var trainer = new DiffusionTrainer<int[]>(latentConfig.Trainer, network, ema,
            (net, indices, generator, step) =>
            {
                Tensor z;
                using var scale = latentScale.ToScalar(); // held across the call (docs/design.md "Native safety")
                using (no_grad()) z = autoencoder.Encode(dataset.Images(indices)).mul(scale); // (B, Cz, s, s): the assigner's x0
                return diffusion.ComputeLoss((UNet2D)net, z, conditional ? dataset.LabelTensor(indices) : null, generator, step);
            },
            (_, random) => ImageTraining.DrawBatch(dataset.Count, latentConfig.Trainer.BatchSize, random));
        var existing = resume ? CheckpointDirectory.Resolve(checkpointDir) : null;
        if (existing is not null && File.Exists(Path.Combine(existing, "training_state.json")))
        {
            if (ImageCheckpoint.ReadConfig(existing).ToJson() != latentConfig.ToJson())
                throw new InvalidOperationException($"{checkpointDir} holds a checkpoint of a different configuration; delete it to start over");
            trainer.LoadState(existing);
        }
        trainer.Run(progress: progress, checkpoint: step =>
        {
            ImageCheckpoint.Save(checkpointDir, latentConfig, trainer);
            onCheckpoint?.Invoke(step, checkpointDir);
        }, cancellationToken: cancellationToken);
        var trained = ImageCheckpoint.Load(checkpointDir);
        network.Dispose();
        ema.Dispose();
        return new LatentDiffusion(autoencoder, new ImageDiffusion(trained.Network, latentConfig, assigner), latentScale);
    }

    /// <summary>Samples latents and decodes them to (B, C, S, S) images in [-1, 1].</summary>
    public Tensor Sample(int count, Tensor? labels, SamplingOptions options, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var z = Diffusion.Sample(count, labels, options, generator); // (B, Cz, s, s) scaled latents
        using var scale = LatentScale.ToScalar();
        return Autoencoder.Decode(z.div(scale)).MoveToOuterDisposeScope();
    }

    /// <summary>Denoises the given latent noise (B, Cz, s, s) (deterministic samplers: a function of the noise) and decodes it.</summary>
    public Tensor Sample(Tensor initialLatentNoise, Tensor? labels, SamplingOptions options, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var z = Diffusion.Sample(initialLatentNoise, labels, options, generator); // (B, Cz, s, s) scaled latents
        using var scale = LatentScale.ToScalar();
        return Autoencoder.Decode(z.div(scale)).MoveToOuterDisposeScope();
    }
}
