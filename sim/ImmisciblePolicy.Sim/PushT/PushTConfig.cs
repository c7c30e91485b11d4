namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Push-T settings. Defaults are the reference values (gym-pusht gym_pusht/envs/pusht.py and
/// diffusion_policy diffusion_policy/env/pusht/pusht_env.py).
/// </summary>
/// <param name="Observation">Observation layout (default the 5-d state vector).</param>
/// <param name="MaxSteps">Episode limit: 300 control steps (Diffusion Policy evaluation max_steps).</param>
/// <param name="SuccessThreshold">Coverage above which the episode succeeds: 0.95 (success_threshold).</param>
/// <param name="ProportionalGain">PD gain k_p = 100 (PushTEnv.__init__).</param>
/// <param name="DerivativeGain">PD gain k_v = 20 (PushTEnv.__init__).</param>
/// <param name="ControlHz">Control rate: 10 Hz (metadata render_fps / video.frames_per_second).</param>
/// <param name="PhysicsHz">Physics rate: 100 Hz (dt = 0.01, sim_hz = 100), i.e. 10 substeps per action.</param>
public sealed record PushTConfig(
    PushTObservation Observation = PushTObservation.State,
    int MaxSteps = 300,
    double SuccessThreshold = 0.95,
    double ProportionalGain = 100,
    double DerivativeGain = 20,
    int ControlHz = 10,
    int PhysicsHz = 100)
{
    /// <summary>Goal pose of the T's body origin: (256, 256, pi/4) (PushTEnv._setup goal_pose).</summary>
    public static Geometry.Pose2 GoalPose { get; } = new(256, 256, Math.PI / 4);

    /// <summary>World side length in pixels (window_size = 512); actions are clipped to [0, 512]^2.</summary>
    public const double WorldSize = 512;
}
