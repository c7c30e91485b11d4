using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.PushT;
using ImmisciblePolicy.Sim.Rendering;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// The pixel observation of the tasks, gym-pusht's <c>pixels_agent_pos</c>: observation.state = the agent position
/// (x, y) and observation.image = the rendered scene (<see cref="ObservationImage"/>), H x W x 3. Demonstration
/// recording and closed-loop evaluation both observe through here, so a vision policy sees at test time exactly
/// what it was trained on.
/// </summary>
public static class PixelObservations
{
    /// <summary>LeRobot's key of Push-T's single camera.</summary>
    public const string ImageKey = "observation.image";

    /// <summary>Names of the state entries of a pixel observation.</summary>
    public static string[] StateNames { get; } = ["agent.x", "agent.y"];

    /// <summary>The camera feature of a <paramref name="size"/> x <paramref name="size"/> RGB observation.</summary>
    public static ImageFeature Camera(int size = ObservationImage.DefaultSize) => new(ImageKey, size, size);

    /// <summary>observation.state of the pixel observation: the agent position.</summary>
    public static double[] State(ISimTask task) => task switch
    {
        PushTEnv p => [p.State.Agent.X, p.State.Agent.Y],
        BimodalReachEnv b => [b.Agent.X, b.Agent.Y],
        null => throw new ArgumentNullException(nameof(task)),
        _ => throw new ArgumentException($"no pixel observation for {task.GetType().Name}", nameof(task)),
    };

    /// <summary>The full pixel observation of <paramref name="task"/> for the given cameras (all render the same scene).</summary>
    public static Observation Observe(ISimTask task, IReadOnlyList<ImageFeature> cameras)
    {
        ArgumentNullException.ThrowIfNull(cameras);
        var frames = new List<CameraFrame>(cameras.Count);
        foreach (var camera in cameras)
        {
            if (camera.Channels != 3)
                throw new ArgumentException($"camera '{camera.Name}': the simulated tasks render RGB (3 channels); got {camera.Channels}", nameof(cameras));
            frames.Add(CameraFrame.Of(camera, ObservationImage.Render(task, camera.Height, camera.Width)));
        }
        return new Observation(State(task), frames);
    }
}
