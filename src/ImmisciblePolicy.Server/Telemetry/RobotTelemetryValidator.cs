using MessagePack;

namespace ImmisciblePolicy.Server.Telemetry;

/// <summary>
/// Checks a robot's <c>obs</c>/<c>executed</c> payload before the server relays it. The bytes come from
/// outside, so they are decoded with <see cref="MessagePackSecurity.UntrustedData"/> (bounded depth,
/// collision-resistant hashing) and checked key by key against protos/README.md.
/// </summary>
public static class RobotTelemetryValidator
{
    private static readonly MessagePackSerializerOptions Untrusted =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Null when <paramref name="payload"/> is a valid message for <paramref name="topic"/>; otherwise why not.</summary>
    public static string? Check(string topic, ReadOnlyMemory<byte> payload)
    {
        string tensorKey = topic switch
        {
            TelemetryTopics.Observation => "obs",
            TelemetryTopics.Executed => "action",
            _ => "",
        };
        if (tensorKey.Length == 0) return $"unknown topic '{topic}'";
        Dictionary<object, object?>? map;
        try
        {
            map = MessagePackSerializer.Deserialize<Dictionary<object, object?>>(payload, Untrusted);
        }
        catch (MessagePackSerializationException e)
        {
            return $"payload is not a MessagePack map ({e.GetType().Name})";
        }
        if (map is null) return "payload is nil";
        if (!TryInteger(map, "v", out long v)) return "key 'v' (int) is missing";
        if (v != TelemetryTopics.SchemaVersion) return $"schema version {v} is not supported (expected {TelemetryTopics.SchemaVersion})";
        if (!map.TryGetValue("session", out var s) || s is not string) return "key 'session' (str) is missing";
        if (!TryInteger(map, "timestep", out _)) return "key 'timestep' (int) is missing";
        if (!map.TryGetValue("time", out var t) || !IsNumber(t)) return "key 'time' (float) is missing";
        if (topic == TelemetryTopics.Observation && map.TryGetValue("images", out var images) && CheckImages(images) is { } bad) return bad;
        return CheckTensor(map, tensorKey);
    }

    // Optional `images` of an obs message: {camera (str): {height, width, channels (int), encoding: "png", data (bin)}}.
    private static string? CheckImages(object? images)
    {
        if (images is not Dictionary<object, object?> cameras) return "'images' must be a map from camera name to image";
        foreach (var (name, value) in cameras)
        {
            if (name is not string camera) return "'images' keys must be camera names (str)";
            if (value is not Dictionary<object, object?> image) return $"'images.{camera}' must be a map";
            foreach (var key in (string[])["height", "width", "channels"])
                if (!TryInteger(image, key, out long n) || n < 1) return $"'images.{camera}.{key}' must be a positive int";
            if (!image.TryGetValue("encoding", out var encoding) || encoding is not "png") return $"'images.{camera}.encoding' must be \"png\"";
            if (!image.TryGetValue("data", out var data) || data is not byte[] { Length: > 0 }) return $"'images.{camera}.data' must be non-empty bin (the PNG file)";
        }
        return null;
    }

    private static string? CheckTensor(Dictionary<object, object?> map, string key)
    {
        if (!map.TryGetValue(key, out var value) || value is not Dictionary<object, object?> tensor)
            return $"key '{key}' (tensor map) is missing";
        if (!tensor.TryGetValue("shape", out var shape) || shape is not object?[] dims || dims.Any(d => !IsInteger(d, out _)))
            return $"'{key}.shape' must be an array of int";
        if (!tensor.TryGetValue("data", out var data) || data is not object?[] values || values.Any(x => !IsNumber(x)))
            return $"'{key}.data' must be an array of float";
        long count = 1;
        foreach (var d in dims)
        {
            IsInteger(d, out long n);
            if (n < 0) return $"'{key}.shape' has a negative size";
            count *= n;
        }
        return count == values.Length ? null : $"'{key}' has shape product {count} but {values.Length} values";
    }

    private static bool TryInteger(Dictionary<object, object?> map, string key, out long value)
    {
        value = 0;
        return map.TryGetValue(key, out var raw) && IsInteger(raw, out value);
    }

    private static bool IsInteger(object? raw, out long value)
    {
        switch (raw)
        {
            case byte b: value = b; return true;
            case sbyte sb: value = sb; return true;
            case short sh: value = sh; return true;
            case ushort us: value = us; return true;
            case int i: value = i; return true;
            case uint ui: value = ui; return true;
            case long l: value = l; return true;
            case ulong ul when ul <= long.MaxValue: value = (long)ul; return true;
            default: value = 0; return false;
        }
    }

    private static bool IsNumber(object? raw) => raw is float or double || IsInteger(raw, out _);
}
