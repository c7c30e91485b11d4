using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks.Vision;

namespace ImmisciblePolicy.Policy;

/// <summary>
/// The camera part of a vision-conditioned Diffusion Policy (LeRobot's <c>diffusion</c> policy with image_features):
/// which cameras it sees, how frames are normalised and how each is encoded. Per observation step the U-Net's
/// condition is [state (StateDim), camera features (2K each, cameras in <see cref="Cameras"/> order)], as LeRobot's
/// DiffusionModel._prepare_global_conditioning concatenates them, flattened over the To steps.
/// </summary>
public sealed record VisionConfig
{
    /// <summary>observation.state width (the robot's proprioception; agent x, y for Push-T).</summary>
    public int StateDim { get; init; } = 2;

    /// <summary>Camera features, in the order their features are concatenated (the dataset's order: by name).</summary>
    public IReadOnlyList<ImageFeature> Cameras { get; init; } = [new("observation.image", 96, 96)];

    /// <summary>The per-camera encoder.</summary>
    public RgbEncoderConfig Encoder { get; init; } = RgbEncoderConfig.Published;

    /// <summary>uint8 -> float normalisation of every frame.</summary>
    public ImageNormalizer Normalizer { get; init; } = new();

    /// <summary>Observation features per step fed to the U-Net: StateDim + cameras x 2K.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int FeatureDim => StateDim + (Cameras.Count * Encoder.FeatureDim);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (StateDim < 1) throw new ArgumentException($"{nameof(StateDim)} must be positive (LeRobot's diffusion policy needs observation.state); got {StateDim}", nameof(StateDim));
        if (Cameras is null || Cameras.Count == 0) throw new ArgumentException("a vision policy needs at least one camera feature; got none", nameof(Cameras));
        ArgumentNullException.ThrowIfNull(Encoder, nameof(Encoder));
        ArgumentNullException.ThrowIfNull(Normalizer, nameof(Normalizer));
        Encoder.Validate();
        Normalizer.Validate();
        foreach (var camera in Cameras)
        {
            ArgumentNullException.ThrowIfNull(camera, nameof(Cameras));
            camera.Validate();
            Encoder.ValidateImage(camera.Height, camera.Width);
        }
        if (Cameras.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != Cameras.Count)
            throw new ArgumentException($"camera names must be unique; got [{string.Join(", ", Cameras.Select(c => c.Name))}]", nameof(Cameras));
        // LeRobot's config check: one shared encoder (and its pos_grid) needs every camera at one shape.
        if (Cameras.Any(c => c.Height != Cameras[0].Height || c.Width != Cameras[0].Width || c.Channels != Cameras[0].Channels))
            throw new ArgumentException(
                $"every camera must have the same shape; got [{string.Join(", ", Cameras.Select(c => c.Name + " " + c.ShapeText))}]", nameof(Cameras));
    }

    /// <summary>Value equality including the camera list.</summary>
    public bool Equals(VisionConfig? other) =>
        other is not null && StateDim == other.StateDim && Encoder.Equals(other.Encoder) && Normalizer == other.Normalizer
        && Cameras.SequenceEqual(other.Cameras);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(StateDim);
        hash.Add(Encoder);
        hash.Add(Normalizer);
        foreach (var c in Cameras) hash.Add(c);
        return hash.ToHashCode();
    }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"StateDim = {StateDim}, Cameras = [{string.Join(", ", Cameras.Select(c => c.Name + " " + c.ShapeText))}], ");
        builder.Append($"Encoder = {{ {Encoder} }}, Normalizer = {Normalizer}");
        return true;
    }
}
