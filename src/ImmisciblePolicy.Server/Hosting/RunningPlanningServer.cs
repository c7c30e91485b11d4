using ImmisciblePolicy.Server.Inference;
using ImmisciblePolicy.Server.Telemetry;
using Microsoft.AspNetCore.Builder;

namespace ImmisciblePolicy.Server.Hosting;

/// <summary>A started planning server; dispose to stop it (in-flight calls finish, workers release their networks).</summary>
public sealed class RunningPlanningServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Timer? _metrics;
    private int _disposed;

    internal RunningPlanningServer(WebApplication app, Uri address, PolicyRegistry registry, PlanTelemetry telemetry, TimeSpan metricsPeriod)
    {
        _app = app;
        Address = address;
        Registry = registry;
        Telemetry = telemetry;
        if (telemetry.Hub is not null)
        {
            var last = DateTimeOffset.UtcNow;
            _metrics = new Timer(_ =>
            {
                var now = DateTimeOffset.UtcNow;
                double seconds = (now - last).TotalSeconds;
                last = now;
                foreach (var p in registry.All)
                    telemetry.Metrics(new MetricsRecord(p.Description.Id, now, seconds, p.Worker.Statistics.TakeWindow(), p.Worker.QueueDepth,
                        p.Worker.Statistics.NonFiniteReplies, telemetry.Hub.Counters));
            }, null, metricsPeriod, metricsPeriod);
        }
    }

    /// <summary>The bound address, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address { get; }

    /// <summary>The bound TCP port.</summary>
    public int Port => Address.Port;

    /// <summary>The served policies.</summary>
    public PolicyRegistry Registry { get; }

    /// <summary>Telemetry (its hub is null when disabled).</summary>
    public PlanTelemetry Telemetry { get; }

    /// <summary>Completes when the server stops (Ctrl+C for the CLI).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_metrics is not null) await _metrics.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Registry.Dispose();
        Telemetry.Hub?.Dispose();
    }
}
