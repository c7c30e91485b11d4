using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Inference;
using RoboticsSampler = ImmisciblePolicy.Robotics.SamplerKind;
using WireSampler = ImmisciblePolicy.Protos.Planning.SamplerKind;

namespace ImmisciblePolicy.Server.Grpc;

/// <summary>
/// Explicit mapping between wire messages and domain types. Requests are validated here, against the
/// policy's description, so the inference worker only ever sees well-formed windows; every refusal is an
/// INVALID_ARGUMENT naming the field, expected and received value.
/// </summary>
public static class PlanMapping
{
    /// <summary>The domain request for <paramref name="request"/>, or an INVALID_ARGUMENT RpcException.</summary>
    public static PlanInput ToInput(PlanRequest request, PolicyDescription policy)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(policy);
        var obs = request.Observation ?? throw Invalid("observation is required: a tensor of shape [To, Do]");
        int to = policy.ObservationSteps, d = policy.ObservationSize;
        if (obs.Shape.Count != 2 || obs.Shape[0] != to || obs.Shape[1] != d)
            throw Invalid($"observation.shape must be [{to}, {d}] (To, Do) for policy '{policy.Id}'; got [{string.Join(", ", obs.Shape)}]");
        if (obs.Values.Count != to * d)
            throw Invalid($"observation.values must hold {to * d} values for shape [{to}, {d}]; got {obs.Values.Count}");
        var window = new double[to][];
        for (int t = 0; t < to; t++)
        {
            window[t] = new double[d];
            for (int i = 0; i < d; i++)
            {
                float v = obs.Values[t * d + i];
                if (!float.IsFinite(v))
                    throw Invalid($"observation.values[{t * d + i}] (step {t}, feature {i}) must be finite; got {v}");
                window[t][i] = v;
            }
        }
        if (request.Timestep < 0) throw Invalid($"timestep must be >= 0; got {request.Timestep}");
        DateTimeOffset time;
        try
        {
            time = request.ObservationTime?.ToDateTimeOffset() ?? DateTimeOffset.UtcNow;
        }
        catch (InvalidOperationException)
        {
            throw Invalid($"observation_time is not a valid timestamp; got {request.ObservationTime}");
        }
        var sampler = request.Sampler;
        var kind = sampler?.Sampler switch
        {
            null or WireSampler.Unspecified => policy.DefaultSampler,
            WireSampler.Ddpm => RoboticsSampler.Ddpm,
            WireSampler.Ddim => RoboticsSampler.Ddim,
            var other => throw Invalid($"sampler.sampler must be DDPM, DDIM or unspecified; got {(int)other.Value}"),
        };
        int steps = sampler?.Steps ?? 0;
        if (steps < 0 || steps > policy.TrainTimesteps)
            throw Invalid($"sampler.steps must be between 1 and {policy.TrainTimesteps} (0 = default {policy.DefaultSteps}); got {steps}");
        if (steps == 0) steps = policy.DefaultSteps;
        return new PlanInput(request.SessionId ?? "", window, time, request.Timestep, kind, steps, sampler?.Seed);
    }

    /// <summary>The reply for one planned request.</summary>
    public static PlanResponse ToResponse(PolicyDescription policy, PlanInput input, PlanOutcome outcome, double totalMs, long skipped)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(outcome);
        var response = new PlanResponse
        {
            PolicyId = policy.Id,
            SessionId = input.SessionId,
            ObservationTimestep = input.Timestep,
            Chunk = ToTensor(outcome.Chunk),
            Timing = new Timing
            {
                QueueMs = outcome.QueueMs,
                InferenceMs = outcome.InferenceMs,
                TotalMs = totalMs,
                BatchSize = outcome.BatchSize,
            },
            PolicyVersion = ToWire(policy.Version),
            SkippedObservations = skipped,
            Seed = outcome.Seed,
            Sampler = ToWire(outcome.Sampler),
            Steps = outcome.Steps,
        };
        // Action i is for timestep t + i at time + i dt (LeRobot async inference's TimedAction convention).
        for (int i = 0; i < outcome.Actions.Length; i++)
        {
            var step = new ActionStep
            {
                Timestep = input.Timestep + i,
                Timestamp = Timestamp.FromDateTimeOffset(input.ObservationTime.AddTicks((long)Math.Round(i * policy.DtSeconds * TimeSpan.TicksPerSecond))),
            };
            foreach (var v in outcome.Actions[i]) step.Values.Add((float)v);
            response.Actions.Add(step);
        }
        return response;
    }

    /// <summary>The wire description of a policy.</summary>
    public static PolicyInfo ToInfo(PolicyDescription p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var info = new PolicyInfo
        {
            PolicyId = p.Id,
            Task = p.Task.ToString(),
            ObservationSize = p.ObservationSize,
            ActionSize = p.ActionSize,
            ObservationSteps = p.ObservationSteps,
            Horizon = p.Horizon,
            ActionSteps = p.ActionSteps,
            DtSeconds = p.DtSeconds,
            DefaultSampler = new SamplerSettings { Sampler = ToWire(p.DefaultSampler), Steps = p.DefaultSteps },
            TrainTimesteps = p.TrainTimesteps,
            Version = ToWire(p.Version),
            Source = p.Source,
        };
        info.ObservationNames.AddRange(p.ObservationNames);
        info.ActionNames.AddRange(p.ActionNames);
        return info;
    }

    /// <summary>A row-major tensor of <paramref name="rows"/>.</summary>
    public static Tensor ToTensor(double[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var t = new Tensor();
        t.Shape.Add(rows.Length);
        t.Shape.Add(rows.Length == 0 ? 0 : rows[0].Length);
        foreach (var row in rows)
            foreach (var v in row) t.Values.Add((float)v);
        return t;
    }

    private static WireSampler ToWire(RoboticsSampler kind) => kind == RoboticsSampler.Ddim ? WireSampler.Ddim : WireSampler.Ddpm;

    private static Protos.Planning.PolicyVersion ToWire(Inference.PolicyVersion v) => new() { CheckpointStep = v.Step, Hash = v.Hash };

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
