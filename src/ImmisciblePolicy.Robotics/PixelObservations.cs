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

    /// <summary>
    /// A <see cref="SceneCamera"/> drawing the observation image (<see cref="ObservationImage.Render"/>, gym-pusht's
    /// render for obs_type "pixels") at the feature's size: the default renderer of recorded datasets
    /// (<c>data generate --images</c>), so a vision policy trained on them sees at evaluation exactly its training pixels.
    /// </summary>
    public static void Render(ISimTask task, ImageFeature feature, Span<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(feature);
        if (feature.Channels != 3)
            throw new ArgumentException($"camera '{feature.Name}': the simulated tasks render RGB (3 channels); got {feature.Channels}", nameof(feature));
        if (frame.Length < feature.FrameBytes)
            throw new ArgumentException($"a frame of {feature.ShapeText} needs {feature.FrameBytes} bytes; received {frame.Length}", nameof(frame));
        ObservationImage.Render(task, feature.Height, feature.Width).CopyTo(frame);
    }

    /// <summary>
    /// <paramref name="dataset"/> as pixel observations: observation.state reduced to the agent position (the columns
    /// named <see cref="StateNames"/>), camera frames, actions, rewards and modes kept. A dataset recorded with any Push-T
    /// layout plus camera frames then trains a vision policy whose closed loop observes what <see cref="Observe"/> gives.
    /// Returns the dataset itself when its state already is the agent position.
    /// </summary>
    /// <exception cref="ArgumentException">the dataset has no camera features or no agent.x / agent.y columns.</exception>
    public static DemonstrationDataset Project(DemonstrationDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.ImageFeatures.Count == 0)
            throw new ArgumentException("a pixel observation needs camera frames; the dataset has no image features (record it with --images)", nameof(dataset));
        if (dataset.StateNames.SequenceEqual(StateNames) && dataset.EnvironmentStateDim == 0) return dataset;
        var columns = StateNames.Select(n => dataset.StateNames.ToList().IndexOf(n)).ToArray();
        if (columns.Any(c => c < 0))
            throw new ArgumentException(
                $"the dataset's observation.state [{string.Join(", ", dataset.StateNames)}] has no [{string.Join(", ", StateNames)}] columns to observe the agent position with", nameof(dataset));
        var episodes = dataset.Episodes.Select(e =>
        {
            var states = Enumerable.Range(0, e.Length).Select(t => columns.Select(c => e.State(t)[c]).ToArray()).ToList();
            var actions = Enumerable.Range(0, e.Length).Select(t => e.Action(t).ToArray()).ToList();
            return Episode.FromFrames(states, actions, dataset.Fps, e.HasRewards ? e.Rewards.ToArray() : null, e.HasSuccesses ? e.Successes.ToArray() : null,
                e.HasDones ? e.Dones.ToArray() : null, e.TaskIndex, e.Images, e.Mode);
        }).ToList();
        return new DemonstrationDataset(episodes, dataset.Fps, StateNames, dataset.ActionNames, dataset.Tasks, dataset.RobotType, 0, dataset.ModeNames);
    }

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
