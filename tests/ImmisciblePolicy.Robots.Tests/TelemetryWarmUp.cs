using ImmisciblePolicy.Robots.Telemetry;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>
/// Waits until telemetry published by <c>robots</c> reaches <c>recorder</c> through the server's relay. ZeroMQ
/// SUB sockets connect asynchronously and a PUB drops what it sends before a subscription arrives ("slow joiner"),
/// so a fixed sleep before the first episode can lose its first frames on a loaded machine. The probe is an
/// observation of its own session that never ends, so it is never recorded as an episode.
/// </summary>
internal static class TelemetryWarmUp
{
    public static async Task UntilRecordedAsync(RobotTelemetryPublisher robots, TelemetryRecorder recorder, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        long before = recorder.Received;
        while (recorder.Received == before)
        {
            Assert.True(DateTime.UtcNow < until, "no warm-up message crossed the telemetry relay");
            robots.Publish(new ObservationTelemetry("warm-up/probe", 0, 0, [0f], null, false, false));
            await Task.Delay(50);
        }
    }
}
