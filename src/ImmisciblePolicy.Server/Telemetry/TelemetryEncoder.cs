using System.Buffers;
using ImmisciblePolicy.Robotics;
using MessagePack;

namespace ImmisciblePolicy.Server.Telemetry;

/// <summary>
/// Writes telemetry payloads as MessagePack maps with string keys (schema in protos/README.md). Tensors
/// are maps {shape, data} with float32 data so that any MessagePack reader decodes them without extensions.
/// </summary>
public static class TelemetryEncoder
{
    /// <summary>The payload of a <c>plan</c> message.</summary>
    public static byte[] Plan(PlanRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var o = record.Outcome;
        return Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(16);
            w.Write("v"); w.Write(TelemetryTopics.SchemaVersion);
            w.Write("policy"); w.Write(record.PolicyId);
            w.Write("version");
            w.WriteMapHeader(2);
            w.Write("step"); w.Write(record.Version.Step);
            w.Write("hash"); w.Write(record.Version.Hash);
            w.Write("session"); w.Write(record.SessionId);
            w.Write("timestep"); w.Write(record.Timestep);
            w.Write("obs_time"); w.Write(UnixSeconds(record.ObservationTime));
            w.Write("obs"); WriteTensor(ref w, record.Observation);
            w.Write("actions"); WriteTensor(ref w, o.Actions);
            w.Write("sampler"); w.Write(o.Sampler == SamplerKind.Ddim ? "ddim" : "ddpm");
            w.Write("steps"); w.Write(o.Steps);
            w.Write("seed"); w.Write(o.Seed);
            w.Write("batch"); w.Write(o.BatchSize);
            w.Write("queue_ms"); w.Write(o.QueueMs);
            w.Write("inference_ms"); w.Write(o.InferenceMs);
            w.Write("total_ms"); w.Write(record.TotalMs);
            w.Write("time"); w.Write(UnixSeconds(record.Time));
        });
    }

    /// <summary>The payload of a <c>metrics</c> message.</summary>
    public static byte[] Metrics(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var m = record.Window;
        return Write((ref MessagePackWriter w) =>
        {
            var t = record.Telemetry ?? new TelemetryCounters(0, 0, 0, 0);
            w.WriteMapHeader(15);
            w.Write("v"); w.Write(TelemetryTopics.SchemaVersion);
            w.Write("policy"); w.Write(record.PolicyId);
            w.Write("time"); w.Write(UnixSeconds(record.Time));
            w.Write("window_s"); w.Write(record.WindowSeconds);
            w.Write("plans"); w.Write(m.Plans);
            w.Write("batches"); w.Write(m.Batches);
            w.Write("queue_depth"); w.Write(record.QueueDepth);
            w.Write("rejected"); w.Write(m.Rejected);
            w.Write("p50_ms"); w.Write(m.P50Ms);
            w.Write("p99_ms"); w.Write(m.P99Ms);
            w.Write("non_finite"); w.Write(record.NonFinite);
            w.Write("telemetry_dropped"); w.Write(t.Dropped);
            w.Write("robot_relayed"); w.Write(t.Relayed);
            w.Write("robot_rejected"); w.Write(t.Rejected);
            w.Write("robot_warnings_suppressed"); w.Write(t.SuppressedWarnings);
        });
    }

    /// <summary>Seconds since the Unix epoch as float64 (the schema's time type).</summary>
    public static double UnixSeconds(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    private delegate void WriteBody(ref MessagePackWriter writer);

    private static byte[] Write(WriteBody body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        body(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTensor(ref MessagePackWriter w, double[][] rows)
    {
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        w.WriteMapHeader(2);
        w.Write("shape");
        w.WriteArrayHeader(2);
        w.Write(rows.Length);
        w.Write(cols);
        w.Write("data");
        w.WriteArrayHeader(rows.Length * cols);
        foreach (var row in rows)
            foreach (var v in row) w.Write((float)v);
    }
}
