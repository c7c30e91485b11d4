namespace ImmisciblePolicy.Sim.PushT;

/// <summary>Which observation vector Push-T returns.</summary>
public enum PushTObservation
{
    /// <summary>[agent x, agent y, block x, block y, block angle mod 2 pi] (gym-pusht obs_type "state").</summary>
    State,

    /// <summary>
    /// 9 block keypoints (x, y) then agent (x, y): 20 values, the layout of diffusion_policy's
    /// PushTKeypointsEnv._get_obs with agent_keypoints = False, without the visibility mask.
    /// </summary>
    Keypoints,
}
