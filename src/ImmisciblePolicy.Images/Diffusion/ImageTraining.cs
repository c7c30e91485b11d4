using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Data;
using ImmisciblePolicy.Images.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Diffusion;

/// <summary>
/// An image-diffusion training run on the shared <see cref="DiffusionTrainer{TBatch}"/>: uniformly drawn batches
/// (with replacement across steps, without within a step), the configured noise pairing inside the loss, and an
/// atomic checkpoint every <see cref="TrainerConfig.CheckpointEvery"/> steps from which a crashed run resumes.
/// </summary>
public static class ImageTraining
{
    /// <summary>
    /// <paramref name="config"/> with the U-Net's channels, size and class count taken from <paramref name="dataset"/>
    /// (class conditioning is on whenever the data is labelled).
    /// </summary>
    public static ImageRunConfig FitShapes(ImageRunConfig config, ImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Height != dataset.Width)
            throw new ArgumentException($"images must be square; received {dataset.Height}x{dataset.Width}", nameof(dataset));
        return config with
        {
            Unet = config.Unet with { InChannels = dataset.Channels, ImageSize = dataset.Height, NumClasses = dataset.NumClasses },
        };
    }

    /// <summary>
    /// Trains (or resumes, when <paramref name="checkpointDir"/> holds a checkpoint of the same config) and returns
    /// the EMA model together with the loss history. <paramref name="onCheckpoint"/> runs after each checkpoint is
    /// written (step, directory), e.g. to score it during training.
    /// </summary>
    public static (ImageDiffusion Model, IReadOnlyList<(long Step, double Loss)> History) Train(ImageRunConfig config, ImageDataset dataset,
        string checkpointDir, Action<TrainingProgress>? progress = null, bool resume = true, CancellationToken cancellationToken = default,
        Action<long, string>? onCheckpoint = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDir);
        config = FitShapes(config, dataset);
        config.Validate();
        int batchSize = config.Trainer.BatchSize;
        if (batchSize > dataset.Count)
            throw new ArgumentException($"batch size {batchSize} exceeds the dataset's {dataset.Count} images", nameof(dataset));

        torch.manual_seed(config.Trainer.Seed);
        var network = new UNet2D(config.Unet);
        var ema = new UNet2D(config.Unet);
        var diffusion = new ImageDiffusion(network, config);
        bool conditional = dataset.Labels is not null;
        using var trainer = new DiffusionTrainer<int[]>(config.Trainer, network, ema,
            (net, indices, generator, step) =>
            {
                var x0 = dataset.Images(indices); // (B, C, S, S) in [-1, 1]
                var labels = conditional ? dataset.LabelTensor(indices) : null; // (B)
                return diffusion.ComputeLoss((UNet2D)net, x0, labels, generator, step);
            },
            (_, random) => DrawBatch(dataset.Count, batchSize, random));

        var existing = resume ? CheckpointDirectory.Resolve(checkpointDir) : null;
        if (existing is not null && File.Exists(Path.Combine(existing, "training_state.json")))
        {
            var saved = ImageCheckpoint.ReadConfig(existing);
            if (saved.ToJson() != config.ToJson())
                throw new InvalidOperationException(
                    $"{checkpointDir} holds a checkpoint of a different configuration; pass another --out or delete it to start over");
            trainer.LoadState(existing);
        }
        trainer.Run(progress: progress, checkpoint: step =>
        {
            ImageCheckpoint.Save(checkpointDir, config, trainer);
            onCheckpoint?.Invoke(step, checkpointDir);
        }, cancellationToken: cancellationToken);
        var history = trainer.History.ToList();
        var trained = ImageCheckpoint.Load(checkpointDir);
        network.Dispose();
        ema.Dispose();
        return (trained, history);
    }

    /// <summary><paramref name="batchSize"/> distinct indices in [0, count), by rejection (batches are far smaller than datasets).</summary>
    public static int[] DrawBatch(int count, int batchSize, Random random)
    {
        var chosen = new HashSet<int>();
        var batch = new int[batchSize];
        for (int i = 0; i < batchSize; i++)
        {
            int j;
            do j = random.Next(count); while (!chosen.Add(j));
            batch[i] = j;
        }
        return batch;
    }
}
