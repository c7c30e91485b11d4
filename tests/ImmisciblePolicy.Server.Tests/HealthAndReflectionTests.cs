using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class HealthAndReflectionTests(TinyPolicyFixture fx)
{
    [Fact]
    public async Task Health_WithAPolicyLoaded_IsServing_AndNotServingWithoutPolicies()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var health = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "immiscible.planning.v1.PlanningService" })).Status);

        var empty = Directory.CreateTempSubdirectory("immiscible-empty-").FullName;
        try
        {
            await using var bare = await PlanningServerHost.StartAsync(fx.Options() with { PoliciesDirectory = empty });
            using var bareChannel = TinyPolicyFixture.Channel(bare);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing,
                (await new Health.HealthClient(bareChannel).CheckAsync(new HealthCheckRequest())).Status);
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }

    [Fact]
    public async Task Reflection_ListsPlanningServiceAndHealth()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var reflection = new ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("immiscible.planning.v1.PlanningService", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }
}
