using System.Buffers;
using System.Text;
using MessagePack;

namespace ImmisciblePolicy.Robots.Telemetry;

/// <summary>
/// MessagePack encoding of the robots' telemetry (protos/README.md, schema version 1): one map with string
/// keys per message, tensors as {shape, data}, times as float64 seconds. Written and read by hand with
/// MessagePackWriter/Reader so the wire types are exactly the documented ones and unknown keys are skipped.
/// </summary>
public static class TelemetryCodec
{
    /// <summary>Schema version written into every payload as <c>v</c>.</summary>
    public const int Version = 1;

    /// <summary>Topic of observation messages.</summary>
    public const string ObservationTopic = "obs";

    /// <summary>Topic of executed-action messages.</summary>
    public const string ExecutedTopic = "executed";

    /// <summary>Seconds since the Unix epoch, the schema's clock.</summary>
    public static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    /// <summary>Encodes an <c>obs</c> payload.</summary>
    public static byte[] Encode(ObservationTelemetry m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(5 + (m.Reward is null ? 0 : 1) + (m.Done is null ? 0 : 1) + (m.Success is null ? 0 : 1) + (m.Images is null ? 0 : 1));
        w.Write("v"); w.Write(Version);
        w.Write("session"); w.Write(m.Session);
        w.Write("timestep"); w.Write(m.Timestep);
        w.Write("time"); w.Write(m.Time);
        w.Write("obs"); WriteTensor(ref w, m.Observation);
        if (m.Reward is double r) { w.Write("reward"); w.Write(r); }
        if (m.Done is bool d) { w.Write("done"); w.Write(d); }
        if (m.Success is bool s) { w.Write("success"); w.Write(s); }
        if (m.Images is { } images)
        {
            // images: {camera: {height, width, channels, encoding: "png", data: bin}}
            w.Write("images");
            w.WriteMapHeader(images.Count);
            foreach (var image in images)
            {
                w.Write(image.Camera);
                w.WriteMapHeader(5);
                w.Write("height"); w.Write(image.Height);
                w.Write("width"); w.Write(image.Width);
                w.Write("channels"); w.Write(image.Channels);
                w.Write("encoding"); w.Write("png");
                w.Write("data"); w.Write(image.Png);
            }
        }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes an <c>executed</c> payload.</summary>
    public static byte[] Encode(ExecutedTelemetry m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(6 + (m.Blended is null ? 0 : 1));
        w.Write("v"); w.Write(Version);
        w.Write("session"); w.Write(m.Session);
        w.Write("timestep"); w.Write(m.Timestep);
        w.Write("time"); w.Write(m.Time);
        w.Write("action"); WriteTensor(ref w, m.Action);
        w.Write("plan_timestep"); w.Write(m.PlanTimestep);
        if (m.Blended is bool b) { w.Write("blended"); w.Write(b); }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an <c>obs</c> payload; <see cref="FormatException"/> when a required key is missing or the version is unknown.</summary>
    public static ObservationTelemetry DecodeObservation(ReadOnlyMemory<byte> payload)
    {
        string? session = null; long? timestep = null; double? time = null; float[]? obs = null;
        double? reward = null; bool? done = null, success = null;
        List<TelemetryImage>? images = null;
        ReadMap(payload, (string key, ref MessagePackReader r) =>
        {
            switch (key)
            {
                case "images": images = ReadImages(ref r); break;
                case "session": session = r.ReadString(); break;
                case "timestep": timestep = r.ReadInt64(); break;
                case "time": time = r.ReadDouble(); break;
                case "obs": obs = ReadTensor(ref r); break;
                case "reward": reward = r.ReadDouble(); break;
                case "done": done = r.ReadBoolean(); break;
                case "success": success = r.ReadBoolean(); break;
                default: r.Skip(); break;
            }
        });
        return new ObservationTelemetry(Required(session, "session"), Required(timestep, "timestep"), Required(time, "time"),
            Required(obs, "obs"), reward, done, success, images);
    }

    private static List<TelemetryImage> ReadImages(ref MessagePackReader r)
    {
        int cameras = r.ReadMapHeader();
        var images = new List<TelemetryImage>(cameras);
        for (int c = 0; c < cameras; c++)
        {
            string camera = r.ReadString() ?? throw new FormatException($"images key {c} is nil; camera names must be strings");
            int? height = null, width = null, channels = null;
            string? encoding = null;
            byte[]? data = null;
            int fields = r.ReadMapHeader();
            for (int f = 0; f < fields; f++)
            {
                switch (r.ReadString())
                {
                    case "height": height = r.ReadInt32(); break;
                    case "width": width = r.ReadInt32(); break;
                    case "channels": channels = r.ReadInt32(); break;
                    case "encoding": encoding = r.ReadString(); break;
                    case "data": data = r.ReadBytes()?.ToArray(); break;
                    default: r.Skip(); break;
                }
            }
            if (encoding != "png") throw new FormatException($"images['{camera}'].encoding must be \"png\"; got '{encoding}'");
            images.Add(new TelemetryImage(camera, Required(height, $"images['{camera}'].height"), Required(width, $"images['{camera}'].width"),
                Required(channels, $"images['{camera}'].channels"), Required(data, $"images['{camera}'].data")));
        }
        return images;
    }

    /// <summary>Decodes an <c>executed</c> payload.</summary>
    public static ExecutedTelemetry DecodeExecuted(ReadOnlyMemory<byte> payload)
    {
        string? session = null; long? timestep = null, planTimestep = null; double? time = null; float[]? action = null; bool? blended = null;
        ReadMap(payload, (string key, ref MessagePackReader r) =>
        {
            switch (key)
            {
                case "session": session = r.ReadString(); break;
                case "timestep": timestep = r.ReadInt64(); break;
                case "time": time = r.ReadDouble(); break;
                case "action": action = ReadTensor(ref r); break;
                case "plan_timestep": planTimestep = r.ReadInt64(); break;
                case "blended": blended = r.ReadBoolean(); break;
                default: r.Skip(); break;
            }
        });
        return new ExecutedTelemetry(Required(session, "session"), Required(timestep, "timestep"), Required(time, "time"),
            Required(action, "action"), planTimestep ?? -1, blended);
    }

    /// <summary>The topic frame's bytes.</summary>
    public static byte[] TopicBytes(string topic) => Encoding.UTF8.GetBytes(topic);

    private delegate void FieldReader(string key, ref MessagePackReader reader);

    private static void ReadMap(ReadOnlyMemory<byte> payload, FieldReader field)
    {
        var r = new MessagePackReader(payload);
        int count = r.ReadMapHeader();
        bool versionSeen = false;
        for (int i = 0; i < count; i++)
        {
            string key = r.ReadString() ?? throw new FormatException($"telemetry map key {i} is nil; keys must be strings");
            if (key == "v")
            {
                int v = r.ReadInt32();
                if (v != Version) throw new FormatException($"telemetry schema version {v} is not supported; expected {Version}");
                versionSeen = true;
            }
            else
            {
                field(key, ref r);
            }
        }
        if (!versionSeen) throw new FormatException("telemetry payload has no 'v' (schema version) key");
    }

    private static void WriteTensor(ref MessagePackWriter w, float[] data)
    {
        // A vector: shape [n]. (Windows and chunks are the server's to publish.)
        w.WriteMapHeader(2);
        w.Write("shape");
        w.WriteArrayHeader(1);
        w.Write(data.Length);
        w.Write("data");
        w.WriteArrayHeader(data.Length);
        foreach (float x in data) w.Write(x);
    }

    private static float[] ReadTensor(ref MessagePackReader r)
    {
        int n = r.ReadMapHeader();
        long[]? shape = null;
        float[]? data = null;
        for (int i = 0; i < n; i++)
        {
            switch (r.ReadString())
            {
                case "shape":
                    shape = new long[r.ReadArrayHeader()];
                    for (int j = 0; j < shape.Length; j++) shape[j] = r.ReadInt64();
                    break;
                case "data":
                    data = new float[r.ReadArrayHeader()];
                    for (int j = 0; j < data.Length; j++) data[j] = r.ReadSingle();
                    break;
                default:
                    r.Skip();
                    break;
            }
        }
        shape = Required(shape, "shape");
        data = Required(data, "data");
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        if (expected != data.Length)
            throw new FormatException($"tensor shape [{string.Join(", ", shape)}] needs {expected} values; the payload has {data.Length}");
        return data;
    }

    private static T Required<T>(T? value, string key) where T : class =>
        value ?? throw new FormatException($"telemetry payload lacks the required key '{key}'");

    private static T Required<T>(T? value, string key) where T : struct =>
        value ?? throw new FormatException($"telemetry payload lacks the required key '{key}'");
}
