using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Latent;

/// <summary>
/// A small deterministic convolutional autoencoder for latent diffusion (Rombach et al. 2022 use a KL-regularised
/// VAE; a plain autoencoder plus a fixed latent scale is enough at this size). The encoder halves the resolution
/// twice (28 -> 14 -> 7) to LatentChannels maps; the decoder mirrors it with nearest upsampling and ends in tanh so
/// reconstructions stay in [-1, 1].
/// </summary>
public sealed class ConvAutoencoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _encoder, _decoder;

    public ConvAutoencoder(AutoencoderConfig config) : base(nameof(ConvAutoencoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int h = config.Hidden;
        _encoder = nn.Sequential(
            nn.Conv2d(config.Channels, h, 3, padding: 1), nn.SiLU(),
            nn.Conv2d(h, h, 3, stride: 2, padding: 1), nn.SiLU(),       // S / 2
            nn.Conv2d(h, 2 * h, 3, stride: 2, padding: 1), nn.SiLU(),   // S / 4
            nn.Conv2d(2 * h, config.LatentChannels, 1));
        _decoder = nn.Sequential(
            nn.Conv2d(config.LatentChannels, 2 * h, 3, padding: 1), nn.SiLU(),
            nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest), nn.Conv2d(2 * h, h, 3, padding: 1), nn.SiLU(),
            nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest), nn.Conv2d(h, h, 3, padding: 1), nn.SiLU(),
            nn.Conv2d(h, config.Channels, 3, padding: 1), nn.Tanh());
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public AutoencoderConfig Config { get; }

    /// <summary>(B, C, S, S) in [-1, 1] -> (B, LatentChannels, S / 4, S / 4).</summary>
    public Tensor Encode(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Config.Channels || x.shape[2] % 4 != 0)
            throw new ArgumentException($"x must be (B, {Config.Channels}, S, S) with S divisible by 4; received [{string.Join(", ", x.shape)}]", nameof(x));
        return _encoder.forward(x);
    }

    /// <summary>(B, LatentChannels, s, s) -> (B, C, 4 s, 4 s) in [-1, 1].</summary>
    public Tensor Decode(Tensor z)
    {
        if (z.dim() != 4 || z.shape[1] != Config.LatentChannels)
            throw new ArgumentException($"z must be (B, {Config.LatentChannels}, s, s); received [{string.Join(", ", z.shape)}]", nameof(z));
        return _decoder.forward(z);
    }

    /// <summary>Reconstruction Decode(Encode(x)).</summary>
    public override Tensor forward(Tensor x) => Decode(Encode(x));
}
