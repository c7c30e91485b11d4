namespace ImmisciblePolicy.Robots;

/// <summary>How a robot interleaves planning and acting.</summary>
public enum RobotMode
{
    /// <summary>
    /// Receding horizon as Diffusion Policy evaluates: ask, wait, execute the Ta actions, ask again; every
    /// request carries a fixed seed, so scores equal in-process evaluation of the same seeds.
    /// </summary>
    Sync,
    /// <summary>
    /// LeRobot async inference: keep acting from the action queue, ask for the next chunk when the queue is
    /// at or below the threshold, merge chunks as they arrive (drop executed, blend overlaps). No fixed seed,
    /// so the server may batch requests of several robots.
    /// </summary>
    Async,
}
