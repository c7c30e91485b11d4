using ImmisciblePolicy.Server.Inference;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImmisciblePolicy.Server.Hosting;

/// <summary>SERVING (grpc.health.v1) while at least one policy is loaded; a server with nothing to plan with is NOT_SERVING.</summary>
public sealed class PoliciesHealthCheck(PolicyRegistry registry) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        int count = registry.All.Count;
        return Task.FromResult(count > 0
            ? HealthCheckResult.Healthy($"{count} policies loaded")
            : HealthCheckResult.Unhealthy("no policy loaded"));
    }
}
