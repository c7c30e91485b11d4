using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks.Vision;

/// <summary>
/// The image trunk of <see cref="DiffusionRgbEncoder"/>: torchvision's ResNet (pytorch/vision
/// torchvision/models/resnet.py) without its last two children (avgpool, fc), as LeRobot builds it with
/// <c>nn.Sequential(*list(resnet.children())[:-2])</c>. Children are therefore numbered: 0 conv1 (7x7, stride 2,
/// pad 3, no bias), 1 the GroupNorm that replaced bn1, 2 ReLU, 3 maxpool (3, stride 2, pad 1), 4.. the stages
/// (layer1, layer2, ...), each a Sequential of <see cref="BasicBlock"/>s named 0, 1, ...
/// </summary>
public static class ResNetTrunk
{
    /// <summary>Builds the trunk for <paramref name="config"/>: (N, C, H, W) -> (N, OutputChannels, H', W').</summary>
    public static Sequential Create(int inChannels, RgbEncoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var children = new List<nn.Module<Tensor, Tensor>>
        {
            VisionLayers.Conv(inChannels, config.BaseWidth, 7, 2, 3),
            VisionLayers.GroupNorm(config.BaseWidth, config.GroupNormChannelsPerGroup),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1),
        };
        int channels = config.BaseWidth;
        for (int s = 0; s < config.BlocksPerStage.Count; s++)
        {
            int width = config.StageWidth(s), stride = s == 0 ? 1 : 2;
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (int b = 0; b < config.BlocksPerStage[s]; b++)
            {
                blocks.Add(new BasicBlock(channels, width, b == 0 ? stride : 1, config.GroupNormChannelsPerGroup));
                channels = width;
            }
            children.Add(nn.Sequential(blocks));
        }
        return nn.Sequential(children);
    }
}
