using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Diffusion;
using ImmisciblePolicy.Images.Latent;
using ImmisciblePolicy.Images.Networks;
using ImmisciblePolicy.Tests.Shared;
using Xunit.Abstractions;

namespace ImmisciblePolicy.Images.Tests.Native;

public class ImageNativeLifetimeTests(ITestOutputHelper output)
{
    [Fact]
    public void ImageTrainingAndSamplingPaths_CreateNoTemporaryScalars()
    {
        using var unet = new UNet2D(new UNet2DConfig { Channels = [8, 16], NumClasses = 3, MiddleAttention = true });
        var scan = new ScalarLifetimeScan(typeof(ImageDiffusion).Assembly, typeof(DiffusionTrainer<>).Assembly)
            .AddRoots(typeof(ImageTraining), nameof(ImageTraining.Train))
            .AddRoots(typeof(LatentDiffusion), nameof(LatentDiffusion.Train))
            .AddRoots(typeof(ImageDiffusion), nameof(ImageDiffusion.Sample))
            .AddRoots(typeof(ImageDiffusion), nameof(ImageDiffusion.Edit))
            .AddRoots(typeof(LatentDiffusion), nameof(LatentDiffusion.Sample))
            .AddModuleTree(unet);
        var findings = scan.Run();
        output.WriteLine($"{scan.MethodsScanned} methods scanned");
        foreach (var f in findings) output.WriteLine(f.ToString());
        Assert.Empty(findings);
    }
}
