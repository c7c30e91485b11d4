using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.PushT;
using ImmisciblePolicy.Sim.Rendering;

namespace ImmisciblePolicy.Robotics;

/// <summary>Cameras of the simulated tasks.</summary>
public static class SceneCameras
{
    /// <summary>LeRobot's Push-T camera feature: "observation.image", 96 x 96 RGB (gym-pusht's observation size).</summary>
    public static ImageFeature PushT { get; } = new("observation.image", 96, 96, 3);

    /// <summary>The camera feature named as LeRobot's Push-T with square frames of <paramref name="size"/> pixels.</summary>
    public static ImageFeature Square(int size)
    {
        var feature = PushT with { Height = size, Width = size };
        feature.Validate();
        return feature;
    }

    /// <summary>
    /// The default camera: <see cref="SceneRenderer"/> draws the whole workspace (world pixels scaled to the square
    /// frame) with no action overlays. Needs a square RGB feature.
    /// </summary>
    public static void Render(ISimTask task, ImageFeature feature, Span<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(feature);
        if (feature.Height != feature.Width || feature.Channels != 3)
            throw new ArgumentException($"the scene camera renders square RGB frames; '{feature.Name}' is {feature.ShapeText}", nameof(feature));
        if (frame.Length < feature.FrameBytes)
            throw new ArgumentException($"a frame of {feature.ShapeText} needs {feature.FrameBytes} bytes; received {frame.Length}", nameof(frame));
        using var bitmap = task switch
        {
            PushTEnv pusht => SceneRenderer.DrawPushT(pusht.State, feature.Width),
            BimodalReachEnv reach => SceneRenderer.DrawBimodal(reach.Config, reach.Agent, feature.Width),
            _ => throw new ArgumentException($"no scene camera for {task.GetType().Name}", nameof(task)),
        };
        RgbFrame.FromBitmap(bitmap).Rgb.CopyTo(frame);
    }
}
