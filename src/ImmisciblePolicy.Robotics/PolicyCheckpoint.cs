using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Onnx;
using ImmisciblePolicy.Policy;
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

    /// <summary>Loads the EMA policy of a checkpoint for planning with the TorchSharp engine.</summary>
    /// <exception cref="InvalidDataException">a file is missing or does not fit the configuration; the message names it.</exception>
    public static TrainedPolicy Load(string directory) => Load(directory, PolicyEngine.Torch);

    /// <summary>
    /// Loads the EMA policy of a checkpoint for planning with <paramref name="engine"/>. With
    /// <see cref="PolicyEngine.Onnx"/> the EMA network is exported to ONNX in memory (or <see cref="OnnxEngineOptions.ModelPath"/>
    /// is opened and checked against the checkpoint) and its forward pass runs in ONNX Runtime; sampling, seeds and
    /// normalisers are unchanged, so both engines plan the same chunks up to float rounding.
    /// </summary>
    /// <param name="directory">the checkpoint directory.</param>
    /// <param name="engine">the engine of the denoiser's forward pass.</param>
    /// <param name="onnx">ONNX Runtime settings (threads, device, an exported file); ignored by the Torch engine.</param>
    /// <exception cref="InvalidDataException">a file is missing, or does not fit the configuration or the weights; the message names it.</exception>
    /// <exception cref="NotSupportedException">the ONNX device is not available in this ONNX Runtime build (CUDA with the CPU package).</exception>
    public static TrainedPolicy Load(string directory, PolicyEngine engine, OnnxEngineOptions? onnx = null)
    {
        if (!Enum.IsDefined(engine)) throw new ArgumentOutOfRangeException(nameof(engine), engine, "must be Torch or Onnx");
        var parts = ReadParts(directory);
        if (parts.Config.Policy.Vision is not null)
        {
            if (engine != PolicyEngine.Torch)
                throw new NotSupportedException($"{directory} is a vision policy (camera encoders + U-Net); it runs on the Torch engine only");
            var vision = PolicyNetworks.VisionDenoiser(parts.Config.Policy);
            try
            {
                DiffusionTrainer<object>.LoadWeights(Path.Combine(parts.Directory, WeightsFile), "ema_model.", vision);
                return new TrainedPolicy(parts.Config, vision, parts.Obs, parts.Action, parts.Step);
            }
            catch
            {
                vision.Dispose();
                throw;
            }
        }
        var network = LoadNetwork(parts);
        try
        {
            if (engine == PolicyEngine.Torch) return new TrainedPolicy(parts.Config, network, parts.Obs, parts.Action, parts.Step);
            var denoiser = OpenOnnx(parts, network, onnx ?? new OnnxEngineOptions());
            network.Dispose();
            try
            {
                return new TrainedPolicy(parts.Config, denoiser, parts.Obs, parts.Action, parts.Step);
            }
            catch
            {
                denoiser.Dispose();
                throw;
            }
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The parts of a checkpoint a policy is made of (weights aside).</summary>
    internal sealed record Parts(string Directory, PolicyRunConfig Config, MinMaxNormalizer Obs, MinMaxNormalizer Action, long Step);

    /// <summary>Reads config, normalisers and step of a checkpoint; the weights file must exist.</summary>
    internal static Parts ReadParts(string directory)
    {
        var dir = Existing(directory);
        var config = ReadConfig(dir);
        var obs = ReadNormalizer(dir, ObsNormalizerFile);
        var action = ReadNormalizer(dir, ActionNormalizerFile);
        if (!File.Exists(Path.Combine(dir, WeightsFile))) throw new InvalidDataException($"{directory}: {WeightsFile} is missing");
        return new Parts(dir, config, obs, action, ReadStep(dir));
    }

    /// <summary>The TorchSharp network with the checkpoint's EMA weights (the caller disposes it).</summary>
    internal static ConditionalUnet1D LoadNetwork(Parts parts)
    {
        var network = PolicyNetworks.ConditionalUnet1D(parts.Config.Policy.Unet);
        try
        {
            DiffusionTrainer<object>.LoadWeights(Path.Combine(parts.Directory, WeightsFile), "ema_model.", network);
            network.eval();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static OnnxDenoiser OpenOnnx(Parts parts, ConditionalUnet1D network, OnnxEngineOptions options)
    {
        options.Validate();
        if (options.ModelPath is null)
            return OnnxDenoiser.FromNetwork(network, options, PolicyOnnxExport.Metadata(parts), $"{parts.Directory} (exported in memory)");
        var denoiser = OnnxDenoiser.Load(options.ModelPath, options, parts.Config.Policy.Unet);
        try
        {
            var expected = WeightsHash.Of(network);
            if (!denoiser.Metadata.TryGetValue(OnnxMetadata.WeightsSha256, out var stored))
                throw new InvalidDataException(
                    $"{options.ModelPath} has no '{OnnxMetadata.WeightsSha256}' metadata, so it cannot be matched to checkpoint {parts.Directory}; export it with `immiscible export onnx`");
            if (!string.Equals(stored, expected, StringComparison.Ordinal))
                throw new InvalidDataException(
                    $"{options.ModelPath} was exported from other weights than checkpoint {parts.Directory}: weights sha256 {stored[..Math.Min(12, stored.Length)]}... in the file, {expected[..12]}... in the checkpoint (step {parts.Step}); export it again");
            return denoiser;
        }
        catch
        {
            denoiser.Dispose();
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
