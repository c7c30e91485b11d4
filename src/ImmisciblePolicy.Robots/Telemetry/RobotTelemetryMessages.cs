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
public sealed record ObservationTelemetry(string Session, long Timestep, double Time, float[] Observation, double? Reward, bool? Done, bool? Success);

/// <summary>An <c>executed</c> telemetry message: an action a robot actually applied.</summary>
/// <param name="Session">session id.</param>
/// <param name="Timestep">control timestep the action was applied at.</param>
/// <param name="Time">wall-clock seconds since the Unix epoch.</param>
/// <param name="Action">the action [Da], task units.</param>
/// <param name="PlanTimestep">observation timestep of the plan the action came from (-1 if none).</param>
/// <param name="Blended">whether it was mixed from overlapping chunks.</param>
public sealed record ExecutedTelemetry(string Session, long Timestep, double Time, float[] Action, long PlanTimestep, bool? Blended);
