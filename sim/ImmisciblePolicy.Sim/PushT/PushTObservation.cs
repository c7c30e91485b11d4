namespace ImmisciblePolicy.Sim.PushT;

/// <summary>Which observation vector Push-T returns (names as gym-pusht's obs_type where one exists).</summary>
public enum PushTObservation
{
    /// <summary>[agent x, agent y, block x, block y, block angle mod 2 pi] (gym-pusht obs_type "state").</summary>
    State,

    /// <summary>
    /// 9 block keypoints (x, y) then agent (x, y): 20 values, the layout of diffusion_policy's
    /// PushTKeypointsEnv._get_obs with agent_keypoints = False, without the visibility mask.
    /// </summary>
    Keypoints,

    /// <summary>
    /// gym-pusht obs_type "environment_state_agent_pos" flattened: the 16 values of "environment_state" (the 8
    /// corners of the T's two boxes in world coordinates, x0, y0, .., x7, y7, as PushTEnv.get_keypoints returns
    /// them, see <see cref="Geometry.TBoxCorners"/>) then "agent_pos" (x, y): 18 values.
    /// </summary>
    EnvironmentStateAgentPos,
}
