using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Metrics;

/// <summary>
/// A small CNN classifier whose penultimate layer is the feature space of <see cref="FrechetDistance"/>:
/// conv3x3(32) -> ReLU -> maxpool2 -> conv3x3(64) -> ReLU -> maxpool2 -> flatten -> Linear(128) -> ReLU (features)
/// -> Linear(classes). The classic Keras MNIST CNN shape; about 0.4 M parameters for 28 x 28 inputs.
/// </summary>
public sealed class FeatureClassifier : nn.Module<Tensor, Tensor>
{
    /// <summary>Width of the feature layer.</summary>
    public const int FeatureDim = 128;

    private readonly Sequential _features;
    private readonly Linear _head;

    /// <param name="channels">image channels.</param>
    /// <param name="imageSize">image height = width (divisible by 4).</param>
    /// <param name="numClasses">classes.</param>
    public FeatureClassifier(int channels, int imageSize, int numClasses) : base(nameof(FeatureClassifier))
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be at least 1");
        if (imageSize < 4 || imageSize % 4 != 0) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "must be a positive multiple of 4");
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "must be at least 2");
        Channels = channels;
        ImageSize = imageSize;
        NumClasses = numClasses;
        int flat = 64 * (imageSize / 4) * (imageSize / 4);
        _features = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(flat, FeatureDim), nn.ReLU());
        _head = nn.Linear(FeatureDim, numClasses);
        RegisterComponents();
    }

    /// <summary>Image channels.</summary>
    public int Channels { get; }

    /// <summary>Image size.</summary>
    public int ImageSize { get; }

    /// <summary>Classes.</summary>
    public int NumClasses { get; }

    /// <summary>Penultimate-layer features (B, 128) of images (B, C, S, S) in [-1, 1].</summary>
    public Tensor Features(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Channels || x.shape[2] != ImageSize || x.shape[3] != ImageSize)
            throw new ArgumentException($"x must be (B, {Channels}, {ImageSize}, {ImageSize}); received [{string.Join(", ", x.shape)}]", nameof(x));
        return _features.forward(x);
    }

    /// <summary>Logits (B, classes).</summary>
    public override Tensor forward(Tensor x) => _head.forward(Features(x));
}
