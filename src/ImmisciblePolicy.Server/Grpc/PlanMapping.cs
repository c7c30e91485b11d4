using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Inference;
using CameraFrame = ImmisciblePolicy.Policy.Data.CameraFrame;
using DomainImageFeature = ImmisciblePolicy.Policy.Data.ImageFeature;
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
        var frames = ReadImages(request, policy);
        return new PlanInput(request.SessionId ?? "", window, time, request.Timestep, kind, steps, sampler?.Seed, frames);
    }

    /// <summary>
    /// The decoded camera frames of <paramref name="request"/>: per observation step one frame per camera of the policy,
    /// in the policy's camera order; null for a state-only policy (which takes no images). Every refusal names the field.
    /// </summary>
    public static IReadOnlyList<CameraFrame>[]? ReadImages(PlanRequest request, PolicyDescription policy)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(policy);
        var cameras = policy.Cameras;
        int to = policy.ObservationSteps;
        if (cameras.Count == 0)
        {
            if (request.Images.Count == 0) return null;
            var sent = request.Images.SelectMany(i => i.Cameras.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            throw Invalid($"images: policy '{policy.Id}' is a state-only policy and observes no cameras (PolicyInfo.image_features is empty); " +
                          $"got {request.Images.Count} image step(s) with camera(s) [{string.Join(", ", sent)}]");
        }
        string needed = string.Join(", ", cameras.Select(c => $"'{c.Name}' {c.ShapeText}"));
        if (request.Images.Count == 0)
            throw Invalid($"images: policy '{policy.Id}' is a vision policy; camera '{cameras[0].Name}' is missing: send To = {to} images entries " +
                          $"(one per observation step, oldest first), each with the cameras [{needed}] (PolicyInfo.image_features)");
        if (request.Images.Count != to)
            throw Invalid($"images must have To = {to} entries (one per observation step, oldest first, aligned with observation); got {request.Images.Count}");
        var frames = new IReadOnlyList<CameraFrame>[to];
        for (int t = 0; t < to; t++)
        {
            var step = request.Images[t].Cameras;
            foreach (var name in step.Keys.Order(StringComparer.Ordinal))
                if (!cameras.Any(c => c.Name == name))
                    throw Invalid($"images[{t}].cameras[\"{name}\"]: unknown camera; policy '{policy.Id}' observes [{needed}]");
            var row = new CameraFrame[cameras.Count];
            for (int c = 0; c < cameras.Count; c++)
            {
                var camera = cameras[c];
                if (!step.TryGetValue(camera.Name, out var image) || image is null)
                    throw Invalid($"images[{t}].cameras[\"{camera.Name}\"]: camera '{camera.Name}' is missing at observation step {t}; policy '{policy.Id}' observes [{needed}]");
                row[c] = ReadImage(image, camera, $"images[{t}].cameras[\"{camera.Name}\"]");
            }
            frames[t] = row;
        }
        return frames;
    }

    // PNG's 8-byte signature (RFC 2083 section 3.1) and JPEG's SOI marker followed by a marker's 0xFF.
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> JpegSignature => [0xFF, 0xD8, 0xFF];

    /// <summary>One wire image as an H x W x C frame of <paramref name="camera"/>, or an INVALID_ARGUMENT naming <paramref name="field"/>.</summary>
    public static CameraFrame ReadImage(Image image, DomainImageFeature camera, string field)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(camera);
        if (image.Height != camera.Height || image.Width != camera.Width)
            throw Invalid($"{field}: height x width must be {camera.Height} x {camera.Width} (PolicyInfo.image_features); got {image.Height} x {image.Width}");
        if (image.Channels != camera.Channels)
            throw Invalid($"{field}.channels must be {camera.Channels} ({(camera.Channels == 3 ? "RGB" : "grey")}); got {image.Channels}");
        var data = image.Data.Span;
        switch (image.Encoding)
        {
            case ImageEncoding.RawHwcUint8:
                if (data.Length != camera.FrameBytes)
                    throw Invalid($"{field}.data must hold height x width x channels = {camera.Height} x {camera.Width} x {camera.Channels} = {camera.FrameBytes} " +
                                  $"uint8 bytes (encoding RAW_HWC_UINT8, numpy arr.tobytes() of a (H, W, C) uint8 array); got {data.Length} bytes");
                return CameraFrame.Of(camera, image.Data.ToByteArray());
            case ImageEncoding.Png:
            case ImageEncoding.Jpeg:
                bool png = image.Encoding == ImageEncoding.Png;
                string format = png ? "PNG" : "JPEG";
                if (data.IsEmpty) throw Invalid($"{field}.data is empty; encoding {format} needs the file's bytes");
                if (!data.StartsWith(png ? PngSignature : JpegSignature))
                    throw Invalid($"{field}.data is not a {format} file (its first bytes are not the {format} signature); set {field}.encoding to the data's format");
                var pixels = new byte[camera.FrameBytes];
                try
                {
                    ImmisciblePolicy.Policy.Data.PngCodec.Decode(data, camera, pixels, $"{field}.data ({format})");
                }
                catch (InvalidDataException e)
                {
                    // The codec (Skia) reads both formats; its messages name PNG, its usual input.
                    throw Invalid(png ? e.Message : e.Message.Replace("PNG", format, StringComparison.Ordinal));
                }
                return CameraFrame.Of(camera, pixels);
            default:
                throw Invalid($"{field}.encoding must be RAW_HWC_UINT8 (0), PNG (1) or JPEG (2); got {(int)image.Encoding}");
        }
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
        info.ImageFeatures.AddRange(p.Cameras.Select(c => new ImageFeature { Name = c.Name, Height = c.Height, Width = c.Width, Channels = c.Channels }));
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
