using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Diffusion;
using ImmisciblePolicy.Images.Latent;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Tests.Latent;

public sealed class LatentDiffusionTests
{
    public LatentDiffusionTests() => TorchRuntime.Configure(1);

    /// <summary>Records the shape of every batch it pairs, then delegates to vanilla noise.</summary>
    private sealed class RecordingAssigner : INoiseAssigner
    {
        private readonly VanillaNoise _inner = new();

        public List<long[]> Shapes { get; } = [];

        public string Name => "recording";

        public Tensor Assign(Tensor x0, Generator? generator, long step = 0)
        {
            Shapes.Add(x0.shape);
            return _inner.Assign(x0, generator, step);
        }
    }

    [Fact]
    public void Autoencoder_Training_ReconstructsFarBetterThanTheMeanImage()
    {
        var data = SyntheticImages.Bars(256, 16, seed: 4);
        var ae = LatentDiffusion.TrainAutoencoder(data, new AutoencoderConfig { Hidden = 8, Steps = 200, BatchSize = 32 }, seed: 1);
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var x = data.Images(Enumerable.Range(0, 64).ToArray());
        double reconstruction = nn.functional.mse_loss(ae.forward(x), x).item<float>();
        double meanImage = x.sub(x.mean([0], keepdim: true)).square().mean().item<float>();
        Assert.True(reconstruction < 0.5 * meanImage, $"reconstruction MSE {reconstruction:F4} vs mean-image MSE {meanImage:F4}");
        Assert.Equal(new long[] { 64, 4, 4, 4 }, ae.Encode(x).shape);
    }

    [Fact]
    public void LatentTraining_PairsNoiseInLatentSpace_AndSamplesDecodeToImages()
    {
        var data = SyntheticImages.Bars(128, 16, seed: 5);
        var aeConfig = new AutoencoderConfig { Hidden = 8, Steps = 30, BatchSize = 32 };
        var ae = LatentDiffusion.TrainAutoencoder(data, aeConfig, seed: 1);
        double scale = LatentDiffusion.FitLatentScale(ae, data);
        var config = LatentDiffusion.LatentRunConfig(new ImageRunConfig
        {
            Trainer = new TrainerConfig { Steps = 4, BatchSize = 16, CheckpointEvery = 0, LogEvery = 2 },
        }, aeConfig, data) with { Unet = new() { InChannels = 4, ImageSize = 4, Channels = [16], NormGroups = 4, NumClasses = 2 } };
        var recorder = new RecordingAssigner();
        using var dir = new TempDirectory();
        var latent = LatentDiffusion.Train(config, ae, scale, data, dir.Path, assigner: recorder);
        Assert.Equal(4, recorder.Shapes.Count);
        Assert.All(recorder.Shapes, s => Assert.Equal(new long[] { 16, 4, 4, 4 }, s));

        using var scope = NewDisposeScope();
        using var g = new Generator(2);
        var images = latent.Sample(3, tensor(new long[] { 0, 1, 0 }), new SamplingOptions { Steps = 4 }, g);
        Assert.Equal(new long[] { 3, 1, 16, 16 }, images.shape);
        Assert.True(images.abs().max().item<float>() <= 1f);
    }
}
