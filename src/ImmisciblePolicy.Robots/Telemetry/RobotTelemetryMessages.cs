namespace ImmisciblePolicy.Robots.Telemetry;

/// <summary>
/// An <c>obs</c> telemetry message (protos/README.md, schema version 1): the observation a robot saw at a
/// control timestep, with the reward/done/success of the step that led to it.
/// </summary>
/// <param name="Session">session id: one robot episode.</param>
/// <param name="Timestep">control timestep of the observation (0 = after reset).</param>
/// <param name="Time">wall-clock seconds since the Unix epoch.</param>
/// <param name="Observation">the observation vector [Do], task units.</param>
/// <param name="Reward">reward of the step that produced this observation; null after reset.</param>
/// <param name="Done">whether the episode ended with this observation.</param>
/// <param name="Success">whether the task's success criterion held (key added within version 1; optional).</param>
/// <param name="Images">the camera frames the robot observed with it, PNG-encoded (key <c>images</c>, added within
/// version 1; optional): sent by robots driving a vision policy, so a recorder can write LeRobot image features.</param>
public sealed record ObservationTelemetry(string Session, long Timestep, double Time, float[] Observation, double? Reward, bool? Done, bool? Success,
    IReadOnlyList<TelemetryImage>? Images = null);

/// <summary>One camera frame in an <c>obs</c> message: a PNG file of an H x W x C uint8 frame (lossless, a few KB for the simulated scenes).</summary>
/// <param name="Camera">image feature key, e.g. "observation.image".</param>
/// <param name="Height">rows H.</param>
/// <param name="Width">columns W.</param>
/// <param name="Channels">3 (RGB) or 1 (grey).</param>
/// <param name="Png">the PNG file's bytes.</param>
public sealed record TelemetryImage(string Camera, int Height, int Width, int Channels, byte[] Png)
{
    /// <summary>The PNG encoding of <paramref name="frame"/>.</summary>
    public static TelemetryImage Of(ImmisciblePolicy.Policy.Data.CameraFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var feature = new ImmisciblePolicy.Policy.Data.ImageFeature(frame.Camera, frame.Height, frame.Width, frame.Channels);
        return new TelemetryImage(frame.Camera, frame.Height, frame.Width, frame.Channels, ImmisciblePolicy.Policy.Data.PngCodec.Encode(feature, frame.Pixels));
    }

    /// <summary>The camera feature this frame belongs to.</summary>
    public ImmisciblePolicy.Policy.Data.ImageFeature Feature => new(Camera, Height, Width, Channels);
}

/// <summary>An <c>executed</c> telemetry message: an action a robot actually applied.</summary>
/// <param name="Session">session id.</param>
/// <param name="Timestep">control timestep the action was applied at.</param>
/// <param name="Time">wall-clock seconds since the Unix epoch.</param>
/// <param name="Action">the action [Da], task units.</param>
/// <param name="PlanTimestep">observation timestep of the plan the action came from (-1 if none).</param>
/// <param name="Blended">whether it was mixed from overlapping chunks.</param>
public sealed record ExecutedTelemetry(string Session, long Timestep, double Time, float[] Action, long PlanTimestep, bool? Blended);
