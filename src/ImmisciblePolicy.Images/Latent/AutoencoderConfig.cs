namespace ImmisciblePolicy.Images.Latent;

/// <summary>Shape and training of a <see cref="ConvAutoencoder"/>.</summary>
public sealed record AutoencoderConfig
{
    /// <summary>Image channels. Default 1 (grayscale).</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Latent channels. Default 4, Stable Diffusion's VAE width; 28 x 28 x 1 -> 7 x 7 x 4 keeps 25% of the values.</summary>
    public int LatentChannels { get; init; } = 4;

    /// <summary>Hidden convolution width. Default 32, CPU-sized.</summary>
    public int Hidden { get; init; } = 32;

    /// <summary>Reconstruction-training steps. Default 600 (MSE plateaus within a few hundred steps on Fashion-MNIST).</summary>
    public int Steps { get; init; } = 600;

    /// <summary>Batch size. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam learning rate. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (Channels < 1) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "must be at least 1");
        if (LatentChannels < 1) throw new ArgumentOutOfRangeException(nameof(LatentChannels), LatentChannels, "must be at least 1");
        if (Hidden < 1) throw new ArgumentOutOfRangeException(nameof(Hidden), Hidden, "must be at least 1");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be at least 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 1");
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be finite and > 0");
    }
}
