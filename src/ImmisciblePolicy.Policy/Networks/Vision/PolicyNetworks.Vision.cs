using ImmisciblePolicy.Policy.Networks.Vision;

namespace ImmisciblePolicy.Policy.Networks;

public static partial class PolicyNetworks
{
    /// <summary>Builds the camera encoder(s) and U-Net of a vision policy (<paramref name="config"/>.Vision must be set).</summary>
    public static VisionDenoiser VisionDenoiser(DiffusionPolicyConfig config) => new(config);
}
