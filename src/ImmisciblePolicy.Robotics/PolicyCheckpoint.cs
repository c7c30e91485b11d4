using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// A policy checkpoint directory: <c>config.json</c> (<see cref="PolicyRunConfig"/>), <c>model.safetensors</c>
/// (raw weights <c>model.*</c> and EMA weights <c>ema_model.*</c>, readable by Python's safetensors),
/// <c>obs_normalizer.json</c> and <c>action_normalizer.json</c>, <c>optimizer.bin</c> and
/// <c>training_state.json</c> for resuming. Written atomically as a whole.
/// </summary>
public static class PolicyCheckpoint
{
    /// <summary>File names inside a checkpoint.</summary>
    public const string ConfigFile = "config.json", ObsNormalizerFile = "obs_normalizer.json",
        ActionNormalizerFile = "action_normalizer.json", WeightsFile = "model.safetensors";

    /// <summary>Writes a checkpoint of <paramref name="trainer"/>'s current state to <paramref name="directory"/>.</summary>
    public static void Save<TBatch>(string directory, PolicyRunConfig config, MinMaxNormalizer obs, MinMaxNormalizer action,
        DiffusionTrainer<TBatch> trainer)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(obs);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(trainer);
        CheckpointDirectory.WriteAtomically(directory, dir =>
        {
            File.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJson());
            File.WriteAllText(Path.Combine(dir, ObsNormalizerFile), obs.ToJson());
            File.WriteAllText(Path.Combine(dir, ActionNormalizerFile), action.ToJson());
            trainer.SaveState(dir);
        });
    }

    /// <summary>Reads the run config of a checkpoint.</summary>
    public static PolicyRunConfig ReadConfig(string directory)
    {
        var dir = Existing(directory);
        var path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory} is not a policy checkpoint: {ConfigFile} is missing");
        return PolicyRunConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Loads the EMA policy of a checkpoint for planning.</summary>
    /// <exception cref="InvalidDataException">a file is missing or does not fit the configuration; the message names it.</exception>
    public static TrainedPolicy Load(string directory)
    {
        var dir = Existing(directory);
        var config = ReadConfig(dir);
        var obs = ReadNormalizer(dir, ObsNormalizerFile);
        var action = ReadNormalizer(dir, ActionNormalizerFile);
        var weights = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weights)) throw new InvalidDataException($"{directory}: {WeightsFile} is missing");
        if (config.Policy.Vision is not null)
        {
            var vision = PolicyNetworks.VisionDenoiser(config.Policy);
            try
            {
                DiffusionTrainer<object>.LoadWeights(weights, "ema_model.", vision);
                return new TrainedPolicy(config, vision, obs, action, ReadStep(dir));
            }
            catch
            {
                vision.Dispose();
                throw;
            }
        }
        var network = PolicyNetworks.ConditionalUnet1D(config.Policy.Unet);
        try
        {
            DiffusionTrainer<object>.LoadWeights(weights, "ema_model.", network);
            long step = ReadStep(dir);
            return new TrainedPolicy(config, network, obs, action, step);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static long ReadStep(string dir)
    {
        var path = Path.Combine(dir, "training_state.json");
        if (!File.Exists(path)) return 0;
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.TryGetProperty("Step", out var s) ? s.GetInt64() : 0;
    }

    private static MinMaxNormalizer ReadNormalizer(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) throw new InvalidDataException($"{dir}: {file} is missing");
        try
        {
            return MinMaxNormalizer.FromJson(File.ReadAllText(path));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a valid normaliser ({e.Message})", e);
        }
    }

    private static string Existing(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return CheckpointDirectory.Resolve(directory)
               ?? throw new DirectoryNotFoundException($"checkpoint directory not found: {directory}");
    }
}
