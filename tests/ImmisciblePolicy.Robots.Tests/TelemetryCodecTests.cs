using ImmisciblePolicy.Robots.Telemetry;
using MessagePack;

namespace ImmisciblePolicy.Robots.Tests;

public sealed class TelemetryCodecTests
{
    [Fact]
    public void Observation_RoundTrips()
    {
        var m = new ObservationTelemetry("robot-01/seed7", 12, 1_700_000_000.25, [1.5f, -2f, 3.25f], 0.75, true, false);
        var back = TelemetryCodec.DecodeObservation(TelemetryCodec.Encode(m));
        Assert.Equal(m with { Observation = back.Observation }, back);
        Assert.Equal(m.Observation, back.Observation);
    }

    [Fact]
    public void Observation_WithPngCameraFrames_RoundTrips_AsADocumentedImagesMap()
    {
        var camera = new ImmisciblePolicy.Policy.Data.ImageFeature("observation.image", 5, 7);
        var pixels = Enumerable.Range(0, camera.FrameBytes).Select(i => (byte)(i * 7)).ToArray();
        var frame = TelemetryImage.Of(ImmisciblePolicy.Policy.Data.CameraFrame.Of(camera, pixels));
        var m = new ObservationTelemetry("eye/seed1", 3, 12.5, [0.25f, 0.5f], 1, false, false, [frame]);
        var bytes = TelemetryCodec.Encode(m);
        var back = TelemetryCodec.DecodeObservation(bytes);
        var image = Assert.Single(back.Images!);
        Assert.Equal((frame.Camera, frame.Height, frame.Width, frame.Channels), (image.Camera, image.Height, image.Width, image.Channels));
        Assert.Equal(frame.Png, image.Png);
        var decoded = new byte[camera.FrameBytes];
        ImmisciblePolicy.Policy.Data.PngCodec.Decode(image.Png, camera, decoded, "test");
        Assert.Equal(pixels, decoded);                                         // lossless

        // Any MessagePack peer reads it: images = {camera: {height, width, channels, encoding: "png", data: bin}}.
        var map = MessagePackSerializer.Deserialize<Dictionary<object, object>>(bytes, MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData));
        var cameras = (Dictionary<object, object>)map["images"];
        var entry = (Dictionary<object, object>)cameras["observation.image"];
        Assert.Equal("png", entry["encoding"]);
        Assert.Equal(frame.Png, (byte[])entry["data"]);
        // Without frames the key stays absent (state-only robots' messages are unchanged).
        Assert.Null(TelemetryCodec.DecodeObservation(TelemetryCodec.Encode(m with { Images = null })).Images);
    }

    [Fact]
    public void Executed_RoundTrips_AndOptionalKeysStayAbsent()
    {
        var m = new ExecutedTelemetry("s", 3, 2.5, [100f, 200f], 0, null);
        var back = TelemetryCodec.DecodeExecuted(TelemetryCodec.Encode(m));
        Assert.Equal(m.Action, back.Action);
        Assert.Equal((m.Session, m.Timestep, m.Time, m.PlanTimestep, m.Blended), (back.Session, back.Timestep, back.Time, back.PlanTimestep, back.Blended));
    }

    [Fact]
    public void Observation_IsAStringKeyedMapWithTheDocumentedTypes()
    {
        // Read with the generic (typeless) reader any MessagePack peer would use: keys, v = 1, tensor {shape, data}.
        var bytes = TelemetryCodec.Encode(new ObservationTelemetry("s", 4, 9.5, [1f, 2f], null, null, null));
        var map = MessagePackSerializer.Deserialize<Dictionary<object, object>>(bytes, MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData));
        Assert.Equal(["v", "session", "timestep", "time", "obs"], map.Keys.Cast<string>());
        Assert.Equal(1, Convert.ToInt32(map["v"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(9.5, (double)map["time"]);
        var tensor = (Dictionary<object, object>)map["obs"];
        Assert.Equal(2, Convert.ToInt32(((object[])tensor["shape"])[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([1f, 2f], ((object[])tensor["data"]).Cast<float>());
    }

    [Fact]
    public void Decode_UnknownKeysAreSkipped()
    {
        var bytes = MessagePackSerializer.Serialize(new Dictionary<string, object>
        {
            ["v"] = 1, ["future"] = new[] { 1, 2, 3 }, ["session"] = "s", ["timestep"] = 2L, ["time"] = 1.0,
            ["action"] = new Dictionary<string, object> { ["shape"] = new[] { 2 }, ["data"] = new[] { 3f, 4f } },
        });
        var m = TelemetryCodec.DecodeExecuted(bytes);
        Assert.Equal([3f, 4f], m.Action);
        Assert.Equal(-1, m.PlanTimestep);
    }

    [Fact]
    public void Decode_WrongVersionOrMissingKeyOrBadShape_Throws()
    {
        var v2 = MessagePackSerializer.Serialize(new Dictionary<string, object> { ["v"] = 2, ["session"] = "s" });
        Assert.Contains("version 2", Assert.Throws<FormatException>(() => TelemetryCodec.DecodeObservation(v2)).Message, StringComparison.Ordinal);
        var noObs = MessagePackSerializer.Serialize(new Dictionary<string, object> { ["v"] = 1, ["session"] = "s", ["timestep"] = 0, ["time"] = 0.0 });
        Assert.Contains("'obs'", Assert.Throws<FormatException>(() => TelemetryCodec.DecodeObservation(noObs)).Message, StringComparison.Ordinal);
        var badShape = MessagePackSerializer.Serialize(new Dictionary<string, object>
        {
            ["v"] = 1, ["session"] = "s", ["timestep"] = 0, ["time"] = 0.0,
            ["obs"] = new Dictionary<string, object> { ["shape"] = new[] { 3 }, ["data"] = new[] { 1f } },
        });
        Assert.Contains("needs 3 values", Assert.Throws<FormatException>(() => TelemetryCodec.DecodeObservation(badShape)).Message, StringComparison.Ordinal);
    }
}
