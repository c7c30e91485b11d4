using System.Text.Json;
using ImmisciblePolicy.Policy.Networks;

namespace ImmisciblePolicy.Onnx;

/// <summary>The metadata keys (ModelProto.metadata_props) of an exported denoiser; docs/onnx.md lists them.</summary>
public static class OnnxMetadata
{
    /// <summary>Identifies the file as an ImmisciblePolicy denoiser and the version of this layout.</summary>
    public const string Format = "immiscible.format", FormatValue = "immiscible-denoiser/1";

    /// <summary><see cref="Policy.Networks.UnetConfig"/> as JSON.</summary>
    public const string UnetConfig = "immiscible.unet_config";

    /// <summary>Number of network parameters.</summary>
    public const string ParameterCount = "immiscible.parameter_count";

    /// <summary>SHA-256 of the weights (<see cref="WeightsHash"/>), lower-case hex.</summary>
    public const string WeightsSha256 = "immiscible.weights_sha256";

    /// <summary>Written by Robotics' PolicyOnnxExport: the checkpoint's config.json, normalisers and step.</summary>
    public const string PolicyConfig = "immiscible.policy_config", ObsNormalizer = "immiscible.obs_normalizer",
        ActionNormalizer = "immiscible.action_normalizer", TrainingStep = "immiscible.training_step",
        Checkpoint = "immiscible.checkpoint";

    /// <summary>JSON of a U-Net config as stored under <see cref="UnetConfig"/>.</summary>
    public static string ConfigToJson(UnetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return JsonSerializer.Serialize(config);
    }

    /// <summary>Parses <see cref="UnetConfig"/> metadata; <paramref name="source"/> names the file in errors.</summary>
    public static UnetConfig ConfigFromJson(string json, string source)
    {
        try
        {
            var config = JsonSerializer.Deserialize<UnetConfig>(json)
                         ?? throw new InvalidDataException($"{source}: metadata '{UnetConfig}' is empty");
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: metadata '{UnetConfig}' is not a valid U-Net config ({e.Message})", e);
        }
    }
}
