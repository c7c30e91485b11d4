using System.Buffers;
using ImmisciblePolicy.Server.Telemetry;
using MessagePack;

namespace ImmisciblePolicy.Server.Tests.Telemetry;

public sealed class RobotTelemetryValidatorTests
{
    private delegate void Body(ref MessagePackWriter w);

    private static byte[] Pack(Body body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        body(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Message(string tensorKey, int v = 1, bool withSession = true, int shape = 2, int values = 2) => Pack((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(withSession ? 5 : 4);
        w.Write("v"); w.Write(v);
        if (withSession) { w.Write("session"); w.Write("r"); }
        w.Write("timestep"); w.Write(3);
        w.Write("time"); w.Write(1.5);
        w.Write(tensorKey);
        w.WriteMapHeader(2);
        w.Write("shape"); w.WriteArrayHeader(1); w.Write(shape);
        w.Write("data"); w.WriteArrayHeader(values);
        for (int i = 0; i < values; i++) w.Write(1.0f);
    });

    [Fact]
    public void Check_AcceptsSchemaMessages_AndNamesWhatIsWrongOtherwise()
    {
        Assert.Null(RobotTelemetryValidator.Check("obs", Message("obs")));
        Assert.Null(RobotTelemetryValidator.Check("executed", Message("action")));
        Assert.Equal("unknown topic 'plan'", RobotTelemetryValidator.Check("plan", Message("obs")));
        Assert.Equal("key 'action' (tensor map) is missing", RobotTelemetryValidator.Check("executed", Message("obs")));
        Assert.Equal("schema version 2 is not supported (expected 1)", RobotTelemetryValidator.Check("obs", Message("obs", v: 2)));
        Assert.Equal("key 'session' (str) is missing", RobotTelemetryValidator.Check("obs", Message("obs", withSession: false)));
        Assert.Equal("'obs' has shape product 2 but 3 values", RobotTelemetryValidator.Check("obs", Message("obs", values: 3)));
        Assert.StartsWith("payload is not a MessagePack map", RobotTelemetryValidator.Check("obs", new byte[] { 0xc1 }), StringComparison.Ordinal);
    }

    private static byte[] WithImage(string encoding = "png", int height = 4, byte[]? data = null, bool cameraIsMap = true) => Pack((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(6);
        w.Write("v"); w.Write(1);
        w.Write("session"); w.Write("r");
        w.Write("timestep"); w.Write(3);
        w.Write("time"); w.Write(1.5);
        w.Write("obs"); w.WriteMapHeader(2);
        w.Write("shape"); w.WriteArrayHeader(1); w.Write(1);
        w.Write("data"); w.WriteArrayHeader(1); w.Write(1.0f);
        w.Write("images"); w.WriteMapHeader(1);
        w.Write("observation.image");
        if (!cameraIsMap)
        {
            w.Write(7);
            return;
        }
        w.WriteMapHeader(5);
        w.Write("height"); w.Write(height);
        w.Write("width"); w.Write(4);
        w.Write("channels"); w.Write(3);
        w.Write("encoding"); w.Write(encoding);
        w.Write("data"); w.Write(data ?? [0x89, 0x50, 0x4E, 0x47]);
    });

    [Fact]
    public void Check_ObservationImages_AreValidatedKeyByKey()
    {
        Assert.Null(RobotTelemetryValidator.Check("obs", WithImage()));
        Assert.Equal("'images.observation.image.encoding' must be \"png\"", RobotTelemetryValidator.Check("obs", WithImage(encoding: "raw")));
        Assert.Equal("'images.observation.image.height' must be a positive int", RobotTelemetryValidator.Check("obs", WithImage(height: 0)));
        Assert.Equal("'images.observation.image.data' must be non-empty bin (the PNG file)", RobotTelemetryValidator.Check("obs", WithImage(data: [])));
        Assert.Equal("'images.observation.image' must be a map", RobotTelemetryValidator.Check("obs", WithImage(cameraIsMap: false)));
    }

    [Fact]
    public void Check_DeeplyNestedPayload_IsRejectedByUntrustedDataLimits()
    {
        // 1000 nested maps exceed MessagePackSecurity.UntrustedData's depth limit (500).
        var deep = Pack((ref MessagePackWriter w) =>
        {
            for (int i = 0; i < 1000; i++) { w.WriteMapHeader(1); w.Write("k"); }
            w.WriteNil();
        });
        Assert.StartsWith("payload is not a MessagePack map", RobotTelemetryValidator.Check("obs", deep), StringComparison.Ordinal);
    }
}
