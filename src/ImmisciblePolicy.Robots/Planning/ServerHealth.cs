using Grpc.Core;
using Grpc.Health.V1;

namespace ImmisciblePolicy.Robots.Planning;

/// <summary>Outcome of one health probe.</summary>
/// <param name="Healthy">the service answered SERVING.</param>
/// <param name="Status">what it answered, or the gRPC status when it did not answer.</param>
public sealed record HealthProbe(bool Healthy, string Status);

/// <summary>
/// grpc.health.v1 probe, the job grpc_health_probe does for containers (<c>immiscible health</c> runs it
/// as the Docker HEALTHCHECK): one Check call, SERVING or not, no retries.
/// </summary>
public static class ServerHealth
{
    /// <summary>Probes <paramref name="service"/> ("" = the whole server) at <paramref name="url"/>.</summary>
    public static async Task<HealthProbe> ProbeAsync(string url, string service = "", TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var connection = new PlanningConnection(url);
        try
        {
            var status = await connection.CheckHealthAsync(service, timeout, cancellationToken).ConfigureAwait(false);
            return new HealthProbe(status == HealthCheckResponse.Types.ServingStatus.Serving, status.ToString().ToUpperInvariant());
        }
        catch (RpcException e)
        {
            return new HealthProbe(false, $"{e.StatusCode}: {e.Status.Detail}");
        }
    }
}
