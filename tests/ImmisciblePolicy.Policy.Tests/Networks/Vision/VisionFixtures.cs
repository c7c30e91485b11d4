using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Policy.Networks.Vision;

namespace ImmisciblePolicy.Policy.Tests.Networks.Vision;

/// <summary>Tiny vision policies for fast tests: 16 x 16 frames cropped to 12 x 12, a 2-stage trunk of 8/16 channels.</summary>
internal static class VisionFixtures
{
    public static RgbEncoderConfig TinyEncoder(bool separate = false) => new()
    {
        BaseWidth = 8,
        BlocksPerStage = [1, 1],
        GroupNormChannelsPerGroup = 4,
        NumKeypoints = 4,
        CropHeight = 12,
        CropWidth = 12,
        UseSeparateEncoderPerCamera = separate,
    };

    public static DiffusionPolicyConfig TinyPolicy(int cameras = 1, bool separate = false, int stateDim = 2, int size = 16)
    {
        var vision = new VisionConfig
        {
            StateDim = stateDim,
            Cameras = [.. Enumerable.Range(0, cameras).Select(i => new ImageFeature(cameras == 1 ? "observation.image" : $"observation.images.cam{i}", size, size))],
            Encoder = TinyEncoder(separate),
        };
        return new DiffusionPolicyConfig
        {
            ObsDim = vision.FeatureDim,
            ActionDim = 2,
            ObsSteps = 2,
            Horizon = 8,
            ActionSteps = 4,
            Vision = vision,
            Unet = new UnetConfig { InputDim = 2, GlobalCondDim = 2 * vision.FeatureDim, DownDims = [16, 32], DiffusionStepEmbedDim = 8 },
        };
    }
}
