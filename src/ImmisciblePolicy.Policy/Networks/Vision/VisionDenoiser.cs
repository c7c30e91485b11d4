using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks.Vision;

/// <summary>
/// The trainable part of a vision Diffusion Policy, laid out as LeRobot's <c>DiffusionModel</c>
/// (modeling_diffusion.py): <c>rgb_encoder</c> (one shared <see cref="DiffusionRgbEncoder"/>, or a list
/// <c>rgb_encoder.0.</c>, <c>rgb_encoder.1.</c>, ... with one per camera) and <c>unet</c> (the
/// <see cref="ConditionalUnet1D"/>, whose own names follow diffusion_policy's ConditionalUnet1D). Training the
/// module as a whole trains the encoder end to end with the denoiser, and the EMA copy averages both.
/// </summary>
public sealed class VisionDenoiser : nn.Module
{
    private readonly DiffusionRgbEncoder[] encoders;

    internal VisionDenoiser(DiffusionPolicyConfig config) : base(nameof(VisionDenoiser))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var vision = config.Vision ?? throw new ArgumentException("the policy config has no Vision part; use a ConditionalUnet1D for a state-only policy", nameof(config));
        Config = config;
        var camera = vision.Cameras[0];
        int count = vision.Encoder.UseSeparateEncoderPerCamera ? vision.Cameras.Count : 1;
        encoders = Enumerable.Range(0, count)
            .Select(_ => new DiffusionRgbEncoder(vision.Encoder, camera.Channels, camera.Height, camera.Width)).ToArray();
        Unet = new ConditionalUnet1D(config.Unet);
        if (vision.Encoder.UseSeparateEncoderPerCamera)
            register_module("rgb_encoder", nn.ModuleList(encoders));
        else
            register_module("rgb_encoder", encoders[0]);
        register_module("unet", Unet);
    }

    /// <summary>Shapes, horizons and the vision settings.</summary>
    public DiffusionPolicyConfig Config { get; }

    /// <summary>The denoiser epsilon_theta(a_t, t, condition).</summary>
    public ConditionalUnet1D Unet { get; }

    /// <summary>The camera encoders: one shared, or one per camera in <see cref="VisionConfig.Cameras"/> order.</summary>
    public IReadOnlyList<DiffusionRgbEncoder> Encoders => encoders;

    /// <summary>Total number of parameters (encoders and U-Net).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// The per-step condition of LeRobot's _prepare_global_conditioning before flattening: [state, camera 0 features,
    /// camera 1 features, ...] for every observation step. Frames are cropped at random in training mode (offsets from
    /// <paramref name="generator"/>) and centrally in evaluation mode.
    /// </summary>
    /// <param name="state">normalised observation.state (B, To, StateDim).</param>
    /// <param name="images">per camera, normalised frames (B, To, C, H, W).</param>
    /// <param name="generator">source of the random crops.</param>
    /// <returns>(B, To, StateDim + cameras x 2K).</returns>
    public Tensor EncodeObservations(Tensor state, IReadOnlyList<Tensor> images, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(images);
        var vision = Config.Vision!;
        if (state.ndim != 3 || state.shape[1] != Config.ObsSteps || state.shape[2] != vision.StateDim)
            throw new ArgumentException(
                $"expected state of shape (B, {Config.ObsSteps}, {vision.StateDim}); got ({string.Join(", ", state.shape)})", nameof(state));
        long b = state.shape[0], to = state.shape[1];
        if (images.Count != vision.Cameras.Count)
            throw new ArgumentException($"expected frames of {vision.Cameras.Count} camera(s) [{string.Join(", ", vision.Cameras.Select(c => c.Name))}]; got {images.Count}", nameof(images));
        var camera = vision.Cameras[0];
        for (int n = 0; n < images.Count; n++)
        {
            var x = images[n];
            if (x is null || x.ndim != 5 || x.shape[0] != b || x.shape[1] != to || x.shape[2] != camera.Channels || x.shape[3] != camera.Height || x.shape[4] != camera.Width)
                throw new ArgumentException(
                    $"camera '{vision.Cameras[n].Name}': expected frames of shape ({b}, {to}, {camera.Channels}, {camera.Height}, {camera.Width}); " +
                    $"got ({(x is null ? "null" : string.Join(", ", x.shape))})", nameof(images));
        }

        var features = new List<Tensor> { state.to(float32) };                                            // (B, To, Ds)
        if (encoders.Length > 1)
        {
            // "b s n ... -> n (b s) ...", one encoder per camera, then "(n b s) d -> b s (n d)".
            for (int n = 0; n < images.Count; n++)
                features.Add(encoders[n].Encode(images[n].reshape(b * to, camera.Channels, camera.Height, camera.Width), generator)
                    .reshape(b, to, -1));                                                                  // (B, To, 2K)
        }
        else
        {
            // "b s n ... -> (b s n) ...", one shared encoder, then "(b s n) d -> b s (n d)".
            var all = stack(images, dim: 2).reshape(b * to * images.Count, camera.Channels, camera.Height, camera.Width);
            features.Add(encoders[0].Encode(all, generator).reshape(b, to, -1));                          // (B, To, N 2K)
        }
        return cat(features, dim: -1);                                                                     // (B, To, Do)
    }
}
