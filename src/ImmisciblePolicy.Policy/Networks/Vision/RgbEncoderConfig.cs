namespace ImmisciblePolicy.Policy.Networks.Vision;

/// <summary>
/// The camera encoder of the vision Diffusion Policy, LeRobot's <c>DiffusionRgbEncoder</c>
/// (huggingface/lerobot src/lerobot/policies/diffusion/modeling_diffusion.py; defaults from
/// configuration_diffusion.py DiffusionConfig): a ResNet trunk without avgpool/fc whose BatchNorm2d layers are
/// GroupNorm(C / 16, C) (use_group_norm), spatial-softmax keypoints, then Linear(2K, 2K) + ReLU.
/// </summary>
/// <remarks>
/// <see cref="Published"/> is LeRobot's Push-T setting (ResNet-18, 96 x 96 frames cropped to 84 x 84, 32 keypoints).
/// <see cref="CpuRecipe"/> keeps every module and parameter name of the published tree but narrows the trunk:
/// a quarter of the width (16/32/64/128 channels instead of 64/128/256/512) and one BasicBlock per stage instead of
/// two, on 48 x 48 frames cropped to 42 x 42 (see docs/results/pusht-vision.md for the measured step times).
/// </remarks>
public sealed record RgbEncoderConfig
{
    /// <summary>Channels of conv1 and of the first stage; each later stage doubles them. 64 = torchvision's ResNet.</summary>
    public int BaseWidth { get; init; } = 64;

    /// <summary>
    /// BasicBlocks per stage, one entry per stage (layer1, layer2, ...). [2, 2, 2, 2] = ResNet-18. Stages after the
    /// first halve the resolution (stride-2 first block with a 1x1 downsample), as in torchvision's ResNet._make_layer.
    /// </summary>
    public IReadOnlyList<int> BlocksPerStage { get; init; } = [2, 2, 2, 2];

    /// <summary>
    /// Channels per GroupNorm group: LeRobot replaces every BatchNorm2d(C) by GroupNorm(C / 16, C). Every trunk
    /// width must be a multiple of it. Only tiny test networks change it.
    /// </summary>
    public int GroupNormChannelsPerGroup { get; init; } = 16;

    /// <summary>Keypoints of the spatial softmax (spatial_softmax_num_keypoints); the feature size is twice this.</summary>
    public int NumKeypoints { get; init; } = 32;

    /// <summary>Crop height (crop_shape[0]); null = no crop. LeRobot: 84 of 96.</summary>
    public int? CropHeight { get; init; } = 84;

    /// <summary>Crop width (crop_shape[1]); null = no crop.</summary>
    public int? CropWidth { get; init; } = 84;

    /// <summary>Random crop while training, centre crop in evaluation (crop_is_random); false = centre crop always.</summary>
    public bool CropIsRandom { get; init; } = true;

    /// <summary>One encoder per camera (use_separate_rgb_encoder_per_camera; names rgb_encoder.0., rgb_encoder.1., ...) or one shared encoder.</summary>
    public bool UseSeparateEncoderPerCamera { get; init; }

    /// <summary>LeRobot's Push-T encoder: ResNet-18 trunk, GroupNorm, crop 84 of 96, 32 keypoints.</summary>
    public static RgbEncoderConfig Published => new();

    /// <summary>The 2-core CPU recipe: ResNet-10-like trunk at quarter width on 48 x 48 frames cropped to 42 x 42.</summary>
    public static RgbEncoderConfig CpuRecipe => new()
    {
        BaseWidth = 16,
        BlocksPerStage = [1, 1, 1, 1],
        CropHeight = 42,
        CropWidth = 42,
    };

    /// <summary>Feature size of one camera: 2 x keypoints (the out layer keeps it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int FeatureDim => 2 * NumKeypoints;

    /// <summary>Channels of stage s (0-based): BaseWidth x 2^s.</summary>
    public int StageWidth(int stage) => BaseWidth << stage;

    /// <summary>Channels of the trunk's last feature map.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int OutputChannels => StageWidth(BlocksPerStage.Count - 1);

    /// <summary>(H, W) the trunk sees for an input frame of <paramref name="height"/> x <paramref name="width"/>: the crop if any.</summary>
    public (int Height, int Width) CroppedSize(int height, int width) =>
        (CropHeight ?? height, CropWidth ?? width);

    /// <summary>
    /// Spatial size of the trunk's output for an (H, W) input: conv1 7x7 stride 2 pad 3, maxpool 3 stride 2 pad 1,
    /// then one stride-2 3x3 (pad 1) per stage after the first; each maps n to floor((n - 1) / 2) + 1.
    /// </summary>
    public (int Height, int Width) FeatureMapSize(int height, int width)
    {
        static int Half(int n) => ((n - 1) / 2) + 1;
        int h = Half(Half(height)), w = Half(Half(width));
        for (int s = 1; s < BlocksPerStage.Count; s++) { h = Half(h); w = Half(w); }
        return (h, w);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (BaseWidth < 1) throw new ArgumentException($"{nameof(BaseWidth)} must be positive; got {BaseWidth}", nameof(BaseWidth));
        if (BlocksPerStage is null || BlocksPerStage.Count < 1 || BlocksPerStage.Count > 6 || BlocksPerStage.Any(b => b < 1))
            throw new ArgumentException(
                $"{nameof(BlocksPerStage)} must list 1 to 6 stages of at least one block each; got [{string.Join(", ", BlocksPerStage ?? [])}]",
                nameof(BlocksPerStage));
        if (GroupNormChannelsPerGroup < 1 || BaseWidth % GroupNormChannelsPerGroup != 0)
            throw new ArgumentException(
                $"every trunk width must be a multiple of {nameof(GroupNormChannelsPerGroup)} (GroupNorm(C / {GroupNormChannelsPerGroup}, C)); " +
                $"got {nameof(BaseWidth)} = {BaseWidth}", nameof(GroupNormChannelsPerGroup));
        if (NumKeypoints < 1) throw new ArgumentException($"{nameof(NumKeypoints)} must be positive; got {NumKeypoints}", nameof(NumKeypoints));
        if (CropHeight is < 1 || CropWidth is < 1 || CropHeight.HasValue != CropWidth.HasValue)
            throw new ArgumentException(
                $"crop must be two positive sizes or none; got {CropHeight?.ToString() ?? "none"} x {CropWidth?.ToString() ?? "none"}", nameof(CropHeight));
    }

    /// <summary>Throws unless frames of <paramref name="height"/> x <paramref name="width"/> can be cropped and encoded.</summary>
    public void ValidateImage(int height, int width)
    {
        if (CropHeight is int ch && CropWidth is int cw && (ch > height || cw > width))
            throw new ArgumentException($"crop {ch} x {cw} is larger than the {height} x {width} frames", nameof(height));
        var (h, w) = CroppedSize(height, width);
        if (h < 2 || w < 2)
            throw new ArgumentException($"frames of {h} x {w} (after cropping) are too small for the trunk", nameof(height));
    }

    /// <summary>Prints <see cref="BlocksPerStage"/> by value.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"BaseWidth = {BaseWidth}, BlocksPerStage = [{string.Join(", ", BlocksPerStage)}], ");
        builder.Append($"GroupNormChannelsPerGroup = {GroupNormChannelsPerGroup}, NumKeypoints = {NumKeypoints}, ");
        builder.Append($"Crop = {CropHeight?.ToString() ?? "none"} x {CropWidth?.ToString() ?? "none"}, CropIsRandom = {CropIsRandom}, ");
        builder.Append($"UseSeparateEncoderPerCamera = {UseSeparateEncoderPerCamera}");
        return true;
    }

    /// <summary>Value equality including the contents of <see cref="BlocksPerStage"/>.</summary>
    public bool Equals(RgbEncoderConfig? other) =>
        other is not null && BaseWidth == other.BaseWidth && GroupNormChannelsPerGroup == other.GroupNormChannelsPerGroup
        && NumKeypoints == other.NumKeypoints && CropHeight == other.CropHeight && CropWidth == other.CropWidth
        && CropIsRandom == other.CropIsRandom && UseSeparateEncoderPerCamera == other.UseSeparateEncoderPerCamera
        && BlocksPerStage.SequenceEqual(other.BlocksPerStage);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(BaseWidth);
        hash.Add(GroupNormChannelsPerGroup);
        hash.Add(NumKeypoints);
        hash.Add(CropHeight);
        hash.Add(CropWidth);
        hash.Add(CropIsRandom);
        hash.Add(UseSeparateEncoderPerCamera);
        foreach (var b in BlocksPerStage) hash.Add(b);
        return hash.ToHashCode();
    }
}
