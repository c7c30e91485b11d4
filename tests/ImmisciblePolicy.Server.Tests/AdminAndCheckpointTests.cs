using Grpc.Core;
using Grpc.Health.V1;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class AdminAndCheckpointTests(TinyPolicyFixture fx)
{
    private static Metadata Admin(string key) => new() { { "x-admin-key", key } };

    [Fact]
    public async Task AdminCalls_WithoutConfiguredKey_ArePermissionDenied()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.LoadPolicyAsync(new LoadPolicyRequest { PolicyId = "x", CheckpointDir = fx.CheckpointDirectory }, Admin("anything")));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("no admin key", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAndUnload_NeedTheAdminKey_AndChangeWhatIsServed()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { AdminKey = "s3cret" });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var load = new LoadPolicyRequest { PolicyId = "tiny2", CheckpointDir = fx.CheckpointDirectory };

        foreach (var headers in new[] { new Metadata(), Admin("wrong") })
        {
            var denied = await Assert.ThrowsAsync<RpcException>(async () => await client.LoadPolicyAsync(load, headers));
            Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
            Assert.Contains("x-admin-key", denied.Status.Detail, StringComparison.Ordinal);
        }
        var unloadDenied = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.UnloadPolicyAsync(new UnloadPolicyRequest { PolicyId = "tiny" }, Admin("wrong")));
        Assert.Equal(StatusCode.PermissionDenied, unloadDenied.StatusCode);

        var info = await client.LoadPolicyAsync(load, Admin("s3cret"));
        Assert.Equal("tiny2", info.PolicyId);
        Assert.Equal(["tiny", "tiny2"], (await client.ListPoliciesAsync(new ListPoliciesRequest())).Policies.Select(p => p.PolicyId));
        var viaCopy = fx.Request(4, seed: 9);
        viaCopy.PolicyId = "tiny2";
        Assert.Equal((await client.PlanAsync(fx.Request(4, seed: 9))).Actions, (await client.PlanAsync(viaCopy)).Actions);

        Assert.True((await client.UnloadPolicyAsync(new UnloadPolicyRequest { PolicyId = "tiny2" }, Admin("s3cret"))).Unloaded);
        Assert.False((await client.UnloadPolicyAsync(new UnloadPolicyRequest { PolicyId = "tiny2" }, Admin("s3cret"))).Unloaded);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(async () => await client.PlanAsync(viaCopy))).StatusCode);

        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.LoadPolicyAsync(new LoadPolicyRequest { CheckpointDir = "no-such-dir" }, Admin("s3cret")));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("checkpoint_dir 'no-such-dir'", missing.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptCheckpoints_FailTheirOwnLoad_OthersKeepServing()
    {
        var dir = Directory.CreateTempSubdirectory("immiscible-corrupt-").FullName;
        try
        {
            CopyDirectory(fx.CheckpointDirectory, Path.Combine(dir, "good"));
            CopyDirectory(fx.CheckpointDirectory, Path.Combine(dir, "truncated-weights"));
            var weights = Path.Combine(dir, "truncated-weights", "model.safetensors");
            File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..200]);
            CopyDirectory(fx.CheckpointDirectory, Path.Combine(dir, "garbage-config"));
            File.WriteAllText(Path.Combine(dir, "garbage-config", "config.json"), "{ not json");
            Directory.CreateDirectory(Path.Combine(dir, "empty"));

            await using var server = await PlanningServerHost.StartAsync(fx.Options() with { PoliciesDirectory = dir, AdminKey = "k" });
            using var channel = TinyPolicyFixture.Channel(server);
            var client = TinyPolicyFixture.Client(channel);
            Assert.Equal(["good"], (await client.ListPoliciesAsync(new ListPoliciesRequest())).Policies.Select(p => p.PolicyId));
            var request = fx.Request(2, seed: 3);
            request.PolicyId = "good";
            Assert.Equal(8, (await client.PlanAsync(request)).Actions.Count);

            // Loading a corrupt checkpoint later fails that call only, without native text.
            var e = await Assert.ThrowsAsync<RpcException>(async () =>
                await client.LoadPolicyAsync(new LoadPolicyRequest { CheckpointDir = "truncated-weights" }, Admin("k")));
            Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
            Assert.Contains("not a loadable policy checkpoint", e.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(8, (await client.PlanAsync(request)).Actions.Count);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task ApiKey_IsRequiredForPlanning_ButNotForHealth()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { ApiKey = "robot-key" });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.PlanAsync(fx.Request(0, seed: 1)));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("x-api-key", e.Status.Detail, StringComparison.Ordinal);
        var wrong = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlanAsync(fx.Request(0, seed: 1), new Metadata { { "x-api-key", "robot-kex" } }));
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        var stream = client.StreamPlans(new Metadata());
        await Assert.ThrowsAnyAsync<Exception>(async () => await stream.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, stream.GetStatus().StatusCode);

        Assert.Equal(8, (await client.PlanAsync(fx.Request(0, seed: 1), new Metadata { { "x-api-key", "robot-key" } })).Actions.Count);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
