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

    /// <summary>Issue 12 defect 8: grpcurl and current grpcio ask grpc.reflection.v1 first; it must answer, with descriptors.</summary>
    [Fact]
    public async Task ReflectionV1_ListsServices_AndServesTheirFileDescriptors()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var reflection = new global::Grpc.Reflection.V1.ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new global::Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.WriteAsync(new global::Grpc.Reflection.V1.ServerReflectionRequest { FileContainingSymbol = "immiscible.planning.v1.PlanningService" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("immiscible.planning.v1.PlanningService", names);
        Assert.Contains("grpc.health.v1.Health", names);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto
            .Select(b => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        Assert.Contains(files, f => f.Name == "immiscible/planning/v1/planning.proto" && f.Service.Any(s => s.Name == "PlanningService"));
    }
}
