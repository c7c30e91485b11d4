using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks.Vision;

/// <summary>
/// torchvision's ResNet BasicBlock (pytorch/vision torchvision/models/resnet.py, BasicBlock) with LeRobot's
/// GroupNorm in place of BatchNorm2d: conv1 3x3 (stride s) -> bn1 -> ReLU -> conv2 3x3 -> bn2, plus the identity or,
/// when the stride or width changes, downsample = (1x1 conv stride s, norm); ReLU after the sum. The norms keep
/// torchvision's names (bn1, bn2, downsample.1) because LeRobot swaps the modules in place.
/// </summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1, conv2;
    private readonly GroupNorm bn1, bn2;
    private readonly Sequential? downsample;

    internal BasicBlock(int inChannels, int channels, int stride, int channelsPerGroup) : base(nameof(BasicBlock))
    {
        conv1 = VisionLayers.Conv3x3(inChannels, channels, stride);
        bn1 = VisionLayers.GroupNorm(channels, channelsPerGroup);
        conv2 = VisionLayers.Conv3x3(channels, channels, 1);
        bn2 = VisionLayers.GroupNorm(channels, channelsPerGroup);
        if (stride != 1 || inChannels != channels)
            downsample = nn.Sequential(VisionLayers.Conv(inChannels, channels, 1, stride, 0), VisionLayers.GroupNorm(channels, channelsPerGroup));
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        if (downsample is not null) register_module("downsample", downsample);
        InChannels = inChannels;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <param name="x">(N, C_in, H, W).</param>
    /// <returns>(N, C, H / s, W / s).</returns>
    public override Tensor forward(Tensor x)
    {
        var identity = downsample is null ? x : downsample.forward(x);              // (N, C, H/s, W/s)
        var out1 = nn.functional.relu(bn1.forward(conv1.forward(x)));               // (N, C, H/s, W/s)
        var out2 = bn2.forward(conv2.forward(out1));                                 // (N, C, H/s, W/s)
        return nn.functional.relu(out2.add(identity, Scalars.One));   // held alpha (docs/design.md "Native safety")
    }
}

/// <summary>Layer factories with torchvision's ResNet initialisation and LeRobot's GroupNorm.</summary>
internal static class VisionLayers
{
    /// <summary>Conv2d without bias, weights kaiming_normal_(mode="fan_out", nonlinearity="relu") as ResNet.__init__ sets them.</summary>
    public static Conv2d Conv(int inChannels, int outChannels, int kernel, int stride, int padding)
    {
        var conv = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: false);
        using (no_grad())
            nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        return conv;
    }

    /// <summary>3x3 convolution, padding 1 (torchvision's conv3x3).</summary>
    public static Conv2d Conv3x3(int inChannels, int outChannels, int stride) => Conv(inChannels, outChannels, 3, stride, 1);

    /// <summary>GroupNorm(C / channelsPerGroup, C) with gamma = 1, beta = 0 (TorchSharp 0.107 leaves them uninitialised).</summary>
    public static GroupNorm GroupNorm(int channels, int channelsPerGroup)
    {
        if (channelsPerGroup < 1 || channels % channelsPerGroup != 0)
            throw new ArgumentException($"GroupNorm(C / {channelsPerGroup}, C) needs C divisible by {channelsPerGroup}; got C = {channels}", nameof(channels));
        var norm = nn.GroupNorm(channels / channelsPerGroup, channels);
        using (no_grad())
        {
            norm.weight!.fill_(Scalars.One);
            norm.bias!.zero_();
        }
        return norm;
    }
}
