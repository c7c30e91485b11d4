using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>The probe the containers' HEALTHCHECK runs (<c>immiscible health</c>).</summary>
[Collection(ServedPolicyCollection.Name)]
public sealed class ServerHealthTests(TinyServedPolicy fx)
{
    [Fact]
    public async Task Probe_RunningServerWithAPolicy_IsServing()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        var whole = await ServerHealth.ProbeAsync(server.Address.ToString());
        var planning = await ServerHealth.ProbeAsync(server.Address.ToString(), "immiscible.planning.v1.PlanningService");
        Assert.Equal(new HealthProbe(true, "SERVING"), whole);
        Assert.True(planning.Healthy, planning.Status);
    }

    [Fact]
    public async Task Probe_NothingListening_IsUnhealthyWithUnavailable()
    {
        var probe = await ServerHealth.ProbeAsync($"http://127.0.0.1:{Loopback.FreePort()}", timeout: TimeSpan.FromSeconds(2));
        Assert.False(probe.Healthy);
        Assert.StartsWith("Unavailable", probe.Status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_DnsAddress_BalancesOverResolvedServers()
    {
        // dns:/// is how robots reach every replica behind a Kubernetes headless Service.
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var connection = new PlanningConnection($"dns:///localhost:{server.Port}");
        var policy = await connection.GetPolicyAsync(TinyServedPolicy.PolicyId);
        Assert.Equal(TinyServedPolicy.PolicyId, policy.PolicyId);
        Assert.Throws<ArgumentException>(() => new PlanningConnection("ftp://host:1"));
    }
}
