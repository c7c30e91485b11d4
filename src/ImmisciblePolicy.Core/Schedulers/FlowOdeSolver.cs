namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>Fixed-step ODE solver for integrating a flow-matching velocity field from t = 1 (noise) to t = 0 (data).</summary>
public enum FlowOdeSolver
{
    /// <summary>Explicit Euler: one velocity evaluation per step, first order.</summary>
    Euler,

    /// <summary>
    /// Heun's method (explicit trapezoid): Euler predictor, then the average of the velocities at both ends;
    /// two evaluations per step, second order. The corrector is also applied on the last step (at t = 0).
    /// </summary>
    Heun,
}
