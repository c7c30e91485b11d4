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
        var values = ReadValues(obs, "observation", to * d, $"[{to}, {d}]", out string field);
        var window = new double[to][];
        for (int t = 0; t < to; t++)
        {
            window[t] = new double[d];
            for (int i = 0; i < d; i++)
            {
                float v = values[t * d + i];
                if (!float.IsFinite(v))
                    throw Invalid($"observation.{field}[{t * d + i}] (step {t}, feature {i}) must be finite; got {v}");
                float lo = policy.ObservationMin[i], hi = policy.ObservationMax[i];
                if (!(v >= lo && v <= hi))
                    throw Invalid($"observation.{field}[{t * d + i}] (step {t}, feature {i} '{policy.ObservationNames[i]}') = {v:G9} is outside the accepted " +
                                  $"range [{lo:G9}, {hi:G9}] (PolicyInfo.observation_min/max: the training range widened by 49.5 widths each side)");
                window[t][i] = v;
            }
        }
        if (request.Timestep < 0) throw Invalid($"timestep must be >= 0; got {request.Timestep}");
        if (request.Timestep > long.MaxValue - policy.Horizon)
            throw Invalid($"timestep must be at most {long.MaxValue - policy.Horizon} (int64 max - Tp) so the reply's action timesteps fit in int64; got {request.Timestep}");
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

    /// <summary>True when <paramref name="request"/> sent its observation as <c>data</c> bytes (the reply answers in kind).</summary>
    public static bool UsesBytes(PlanRequest request) => request?.Observation is { Data.IsEmpty: false };

    /// <summary>
    /// The float32 values of <paramref name="tensor"/>, from exactly one of <c>values</c> and <c>data</c>
    /// (little-endian float32); <paramref name="field"/> is the one used, for error messages.
    /// </summary>
    public static float[] ReadValues(Tensor tensor, string name, int expected, string shape, out string field)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        bool hasValues = tensor.Values.Count > 0, hasData = !tensor.Data.IsEmpty;
        if (hasValues && hasData)
            throw Invalid($"{name}: set either values (repeated float) or data (float32 bytes), not both; got {tensor.Values.Count} values and {tensor.Data.Length} bytes");
        if (hasData)
        {
            field = "data";
            if (tensor.Data.Length != expected * sizeof(float))
                throw Invalid($"{name}.data must hold {expected * sizeof(float)} bytes ({expected} little-endian float32 values for shape {shape}); got {tensor.Data.Length} bytes");
            var span = tensor.Data.Span;
            var result = new float[expected];
            for (int i = 0; i < expected; i++)
                result[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(span[(i * sizeof(float))..]);
            return result;
        }
        field = "values";
        if (tensor.Values.Count != expected)
            throw Invalid($"{name}.values must hold {expected} values for shape {shape} (or send {name}.data as {expected * sizeof(float)} float32 bytes); got {tensor.Values.Count}");
        return [.. tensor.Values];
    }

    /// <summary>The reply for one planned request.</summary>
    /// <param name="asBytes">write the chunk as <c>data</c> bytes (the request sent bytes) instead of <c>values</c>.</param>
    public static PlanResponse ToResponse(PolicyDescription policy, PlanInput input, PlanOutcome outcome, double totalMs, long skipped, bool asBytes = false)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(outcome);
        var response = new PlanResponse
        {
            PolicyId = policy.Id,
            SessionId = input.SessionId,
            ObservationTimestep = input.Timestep,
            Chunk = asBytes ? ToBytesTensor(outcome.Chunk) : ToTensor(outcome.Chunk),
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
            Engine = p.Engine.ToString().ToLowerInvariant(),
        };
        info.ObservationNames.AddRange(p.ObservationNames);
        info.ObservationMin.AddRange(p.ObservationMin);
        info.ObservationMax.AddRange(p.ObservationMax);
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

    /// <summary>A row-major tensor of <paramref name="rows"/> with its values as little-endian float32 <c>data</c>.</summary>
    public static Tensor ToBytesTensor(double[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int width = rows.Length == 0 ? 0 : rows[0].Length;
        var bytes = new byte[rows.Length * width * sizeof(float)];
        int k = 0;
        foreach (var row in rows)
            foreach (var v in row)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(k), (float)v);
                k += sizeof(float);
            }
        var t = new Tensor { Data = Google.Protobuf.ByteString.CopyFrom(bytes) };
        t.Shape.Add(rows.Length);
        t.Shape.Add(width);
        return t;
    }

    private static WireSampler ToWire(RoboticsSampler kind) => kind == RoboticsSampler.Ddim ? WireSampler.Ddim : WireSampler.Ddpm;

    private static Protos.Planning.PolicyVersion ToWire(Inference.PolicyVersion v) => new() { CheckpointStep = v.Step, Hash = v.Hash };

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
