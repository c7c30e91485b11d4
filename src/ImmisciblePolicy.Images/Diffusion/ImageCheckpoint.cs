using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Networks;

namespace ImmisciblePolicy.Images.Diffusion;

/// <summary>
/// An image-model checkpoint directory: <c>config.json</c> (<see cref="ImageRunConfig"/>) plus the trainer's files
/// (<c>model.safetensors</c> with <c>model.*</c> and <c>ema_model.*</c>, <c>optimizer.bin</c>,
/// <c>training_state.json</c>). Written atomically as a whole.
/// </summary>
public static class ImageCheckpoint
{
    /// <summary>The run config's file name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>Writes <paramref name="trainer"/>'s state and <paramref name="config"/> to <paramref name="directory"/>.</summary>
    public static void Save<TBatch>(string directory, ImageRunConfig config, DiffusionTrainer<TBatch> trainer)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(trainer);
        CheckpointDirectory.WriteAtomically(directory, dir =>
        {
            File.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJson());
            trainer.SaveState(dir);
        });
    }

    /// <summary>The run config of a checkpoint.</summary>
    public static ImageRunConfig ReadConfig(string directory)
    {
        var dir = Existing(directory);
        var path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory} is not an image checkpoint: {ConfigFile} is missing");
        return ImageRunConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>The EMA model of a checkpoint, ready to sample.</summary>
    public static ImageDiffusion Load(string directory)
    {
        var dir = Existing(directory);
        var config = ReadConfig(dir);
        var network = new UNet2D(config.Unet);
        try
        {
            DiffusionTrainer<object>.LoadWeights(Path.Combine(dir, "model.safetensors"), "ema_model.", network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        network.eval();
        return new ImageDiffusion(network, config);
    }

    private static string Existing(string directory) =>
        CheckpointDirectory.Resolve(directory) ?? throw new DirectoryNotFoundException($"checkpoint directory not found: {directory}");
}
