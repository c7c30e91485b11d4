using System.Text.Json;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Diffusion;

namespace ImmisciblePolicy.Images.Latent;

/// <summary>
/// The autoencoder half of a latent-diffusion checkpoint: <c>autoencoder.safetensors</c> and <c>latent.json</c>
/// (autoencoder config and latent scale) next to an ordinary <see cref="ImageCheckpoint"/> of the latent model.
/// </summary>
public static class LatentCheckpoint
{
    private const string WeightsFile = "autoencoder.safetensors", InfoFile = "latent.json";

    private sealed record LatentInfo(AutoencoderConfig Autoencoder, double LatentScale);

    /// <summary>True when <paramref name="directory"/> holds a latent-diffusion checkpoint.</summary>
    public static bool IsLatent(string directory) => File.Exists(Path.Combine(directory, InfoFile));

    /// <summary>Writes the autoencoder and scale into an existing checkpoint directory.</summary>
    public static void SaveAutoencoder(string directory, ConvAutoencoder autoencoder, double latentScale)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(autoencoder);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"checkpoint directory not found: {directory}");
        Safetensors.Save(Path.Combine(directory, WeightsFile),
            autoencoder.state_dict().Select(kv => new KeyValuePair<string, TorchSharp.torch.Tensor>(kv.Key, kv.Value)).ToList());
        File.WriteAllText(Path.Combine(directory, InfoFile), JsonSerializer.Serialize(new LatentInfo(autoencoder.Config, latentScale)));
    }

    /// <summary>Loads the autoencoder and latent scale written by <see cref="SaveAutoencoder"/> in <paramref name="directory"/>.</summary>
    public static (ConvAutoencoder Autoencoder, double LatentScale) LoadAutoencoder(string directory)
    {
        var infoPath = Path.Combine(directory, InfoFile);
        if (!File.Exists(infoPath)) throw new InvalidDataException($"{directory} holds no autoencoder: {InfoFile} is missing");
        var info = JsonSerializer.Deserialize<LatentInfo>(File.ReadAllText(infoPath)) ?? throw new InvalidDataException($"{infoPath} is empty");
        var autoencoder = new ConvAutoencoder(info.Autoencoder);
        DiffusionTrainer<object>.LoadWeights(Path.Combine(directory, WeightsFile), "", autoencoder);
        autoencoder.eval();
        return (autoencoder, info.LatentScale);
    }

    /// <summary>Loads the autoencoder, the EMA latent model and the scale.</summary>
    public static LatentDiffusion Load(string directory)
    {
        if (!IsLatent(directory)) throw new InvalidDataException($"{directory} is not a latent-diffusion checkpoint: {InfoFile} is missing");
        var (autoencoder, scale) = LoadAutoencoder(directory);
        return new LatentDiffusion(autoencoder, ImageCheckpoint.Load(directory), scale);
    }
}
