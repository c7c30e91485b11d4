using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks.Vision;

/// <summary>
/// Encodes one camera frame into a feature vector, LeRobot's <c>DiffusionRgbEncoder</c>
/// (huggingface/lerobot src/lerobot/policies/diffusion/modeling_diffusion.py): crop (random while training,
/// centre in evaluation) -> <c>backbone</c> (<see cref="ResNetTrunk"/>) -> <c>pool</c> (<see cref="SpatialSoftmax"/>)
/// -> flatten -> <c>out</c> Linear(2K, 2K) -> ReLU. Parameter names follow LeRobot's module tree
/// (backbone.0.weight, backbone.1.weight, backbone.4.0.conv1.weight, ..., pool.nets.weight, pool.pos_grid, out.weight).
/// </summary>
/// <remarks>
/// One difference in the augmentation: LeRobot applies torchvision's RandomCrop to the whole (B To N) batch, which
/// draws one offset per call; we draw one offset per frame, as diffusion_policy's CropRandomizer (robomimic) does,
/// from the step's explicit generator so resumed runs crop identically. Evaluation crops are deterministic
/// (torchvision CenterCrop: offset round((H - h) / 2), rounding half to even as Python's round).
/// </remarks>
public sealed class DiffusionRgbEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential backbone;
    private readonly SpatialSoftmax pool;
    private readonly Linear @out;

    /// <param name="config">trunk, keypoints and crop.</param>
    /// <param name="channels">C of the frames (3 for RGB).</param>
    /// <param name="height">H of the frames before cropping.</param>
    /// <param name="width">W of the frames before cropping.</param>
    internal DiffusionRgbEncoder(RgbEncoderConfig config, int channels, int height, int width) : base(nameof(DiffusionRgbEncoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        config.ValidateImage(height, width);
        Config = config;
        Channels = channels;
        ImageHeight = height;
        ImageWidth = width;
        backbone = ResNetTrunk.Create(channels, config);
        var (ch, cw) = config.CroppedSize(height, width);
        var (fh, fw) = config.FeatureMapSize(ch, cw);
        pool = new SpatialSoftmax(config.OutputChannels, fh, fw, config.NumKeypoints);
        @out = nn.Linear(config.FeatureDim, config.FeatureDim);
        register_module("backbone", backbone);
        register_module("pool", pool);
        register_module("out", @out);
    }

    /// <summary>The encoder's settings.</summary>
    public RgbEncoderConfig Config { get; }

    /// <summary>C of the input frames.</summary>
    public int Channels { get; }

    /// <summary>H of the input frames (before cropping).</summary>
    public int ImageHeight { get; }

    /// <summary>W of the input frames (before cropping).</summary>
    public int ImageWidth { get; }

    /// <summary>Size of the feature vector: 2 x keypoints.</summary>
    public int FeatureDim => Config.FeatureDim;

    /// <summary>Encodes with the evaluation (centre) crop; in training mode the random crop draws from the global generator.</summary>
    public override Tensor forward(Tensor images) => Encode(images, null);

    /// <param name="images">normalised frames (N, C, H, W), float32.</param>
    /// <param name="generator">source of the random crop offsets in training mode.</param>
    /// <returns>(N, 2K) features.</returns>
    public Tensor Encode(Tensor images, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.ndim != 4 || images.shape[1] != Channels || images.shape[2] != ImageHeight || images.shape[3] != ImageWidth)
            throw new ArgumentException(
                $"expected frames of shape (N, {Channels}, {ImageHeight}, {ImageWidth}); got ({string.Join(", ", images.shape)})", nameof(images));
        var x = Crop(images, generator);                                                // (N, C, h, w)
        var keypoints = pool.forward(backbone.forward(x));                               // (N, K, 2)
        return nn.functional.relu(@out.forward(keypoints.flatten(1)));                   // (N, 2K)
    }

    private Tensor Crop(Tensor images, Generator? generator)
    {
        if (Config.CropHeight is not int h || Config.CropWidth is not int w) return images;
        int dh = ImageHeight - h, dw = ImageWidth - w;
        if (!training || !Config.CropIsRandom)
        {
            // torchvision.transforms.functional.center_crop: crop_top = int(round((H - h) / 2.0)).
            int top = (int)Math.Round(dh / 2.0, MidpointRounding.ToEven), left = (int)Math.Round(dw / 2.0, MidpointRounding.ToEven);
            return images[.., .., top..(top + h), left..(left + w)];
        }
        long n = images.shape[0];
        // One offset per frame, uniform in [0, H - h] x [0, W - w] (RandomCrop.get_params: randint(0, H - h + 1)).
        var tops = randint(0, dh + 1, [n], dtype: int64, generator: generator).data<long>().ToArray();
        var lefts = randint(0, dw + 1, [n], dtype: int64, generator: generator).data<long>().ToArray();
        var crops = new Tensor[n];
        for (int i = 0; i < n; i++)
            crops[i] = images[i, .., (int)tops[i]..((int)tops[i] + h), (int)lefts[i]..((int)lefts[i] + w)];
        return stack(crops);                                                              // (N, C, h, w)
    }
}
