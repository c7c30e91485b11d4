using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Pixel normalisation of camera frames: uint8 -> float in [0, 1] (x / 255, what LeRobot's and diffusion_policy's
/// datasets hand the policy), then y = x * <see cref="Scale"/> + <see cref="Offset"/>. The defaults are
/// diffusion_policy's image range normaliser (real-stanford/diffusion_policy, diffusion_policy/common/normalize_util.py,
/// get_image_range_normalizer: scale 2, offset -1, i.e. [0, 1] -> [-1, 1]), which the Push-T image workspace uses
/// for every rgb key. We chose it over LeRobot's dataset-statistics MEAN_STD for VISUAL features because it needs no
/// statistics (a served policy normalises any camera the same way) and keeps pixels in the range the actions use.
/// The parameters travel in the checkpoint's config.json.
/// </summary>
/// <param name="Scale">multiplier after dividing by 255.</param>
/// <param name="Offset">added after scaling.</param>
public sealed record ImageNormalizer(double Scale = 2.0, double Offset = -1.0)
{
    /// <summary>Throws <see cref="ArgumentException"/> unless both parameters are finite and the scale is non-zero.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Scale) || Scale == 0)
            throw new ArgumentException($"image normaliser scale must be finite and non-zero; got {Scale}", nameof(Scale));
        if (!double.IsFinite(Offset))
            throw new ArgumentException($"image normaliser offset must be finite; got {Offset}", nameof(Offset));
    }

    /// <summary>
    /// Normalises HWC uint8 frames to CHW float32: (N, H, W, C) bytes -> (N, C, H, W), values x / 255 * Scale + Offset.
    /// </summary>
    /// <param name="pixels">N frames of H x W x C bytes, row-major HWC, back to back.</param>
    public Tensor Normalize(byte[] pixels, int count, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long expected = (long)count * height * width * channels;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"expected {count} frames of ({height}, {width}, {channels}) = {expected} bytes; got {pixels.LongLength}", nameof(pixels));
        var raw = tensor(pixels, dtype: uint8).reshape(count, height, width, channels);       // (N, H, W, C) uint8
        // Held Scalars (docs/design.md "Native safety"): no implicit temporary reaches libtorch.
        using var max = 255f.ToScalar();
        using var scale = ((float)Scale).ToScalar();
        using var offset = ((float)Offset).ToScalar();
        var x = raw.permute(0, 3, 1, 2).to(float32).div(max);                                 // (N, C, H, W) in [0, 1]
        return x.mul(scale).add(offset, Scalars.One);
    }
}
