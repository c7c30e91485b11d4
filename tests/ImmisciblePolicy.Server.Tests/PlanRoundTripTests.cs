using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class PlanRoundTripTests(TinyPolicyFixture fx)
{
    [Fact]
    public async Task Plan_WithSeed_EqualsInProcessPlanChunks()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        foreach (var (i, seed) in new[] { (3, 11L), (40, 12345L) })
        {
            var reply = await client.PlanAsync(fx.Request(i, seed));
            var (actions, chunks) = fx.InProcess.PlanChunks([fx.Window(i)], seed, null);
            Assert.Equal(seed, reply.Seed);
            Assert.Equal(1, reply.Timing.BatchSize);
            Assert.Equal(actions[0].Length, reply.Actions.Count);
            for (int t = 0; t < actions[0].Length; t++)
                for (int d = 0; d < actions[0][t].Length; d++)
                    Assert.Equal((float)actions[0][t][d], reply.Actions[t].Values[d]);
            Assert.Equal([chunks[0].Length, chunks[0][0].Length], reply.Chunk.Shape);
            Assert.Equal(chunks[0].SelectMany(r => r).Select(v => (float)v), reply.Chunk.Values);
        }
    }

    [Fact]
    public async Task Plan_ActionSteps_AreTimedFromTheObservation()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var info = await client.GetPolicyAsync(new GetPolicyRequest { PolicyId = TinyPolicyFixture.PolicyId });
        var request = fx.Request(17, seed: 5);
        var reply = await client.PlanAsync(request);
        Assert.Equal(info.ActionSteps, reply.Actions.Count);
        Assert.Equal(17, reply.ObservationTimestep);
        var t0 = request.ObservationTime.ToDateTimeOffset();
        for (int i = 0; i < reply.Actions.Count; i++)
        {
            Assert.Equal(17 + i, reply.Actions[i].Timestep);
            Assert.Equal(t0.AddSeconds(i * info.DtSeconds), reply.Actions[i].Timestamp.ToDateTimeOffset());
            Assert.Equal(info.ActionSize, reply.Actions[i].Values.Count);
        }
        Assert.True(reply.Timing.TotalMs >= reply.Timing.InferenceMs, $"total {reply.Timing.TotalMs} ms < inference {reply.Timing.InferenceMs} ms");
        Assert.True(reply.Timing.InferenceMs > 0);
        Assert.Equal(info.Version.Hash, reply.PolicyVersion.Hash);
        Assert.Equal(30, reply.PolicyVersion.CheckpointStep);
    }

    [Fact]
    public async Task GetPolicy_DescribesTheCheckpoint_AndListPoliciesListsIt()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var info = await client.GetPolicyAsync(new GetPolicyRequest { PolicyId = TinyPolicyFixture.PolicyId });
        var p = fx.InProcess.Config.Policy;
        Assert.Equal((p.ObsDim, p.ActionDim, p.ObsSteps, p.Horizon, p.ActionSteps), (info.ObservationSize, info.ActionSize, info.ObservationSteps, info.Horizon, info.ActionSteps));
        Assert.Equal(0.1, info.DtSeconds, 12);                       // both tasks run at 10 Hz
        Assert.Equal("Bimodal", info.Task);
        Assert.Equal(Protos.Planning.SamplerKind.Ddim, info.DefaultSampler.Sampler);
        Assert.Equal(10, info.DefaultSampler.Steps);
        Assert.Equal(16, info.Version.Hash.Length);
        Assert.All(info.Version.Hash, c => Assert.True(Uri.IsHexDigit(c)));
        var list = await client.ListPoliciesAsync(new ListPoliciesRequest());
        Assert.Equal([TinyPolicyFixture.PolicyId], list.Policies.Select(x => x.PolicyId));
    }

    [Fact]
    public async Task Plan_WithDdpmOverride_EqualsInProcessDdpm()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var reply = await client.PlanAsync(fx.Request(9, seed: 77, sampler: Robotics.SamplerKind.Ddpm, steps: 20));
        using var ddpm = new Robotics.TrainedPolicy(fx.InProcess.Config with { Sampler = Robotics.SamplerKind.Ddpm },
            Robotics.PolicyCheckpoint.Load(fx.CheckpointDirectory).Network, fx.InProcess.ObservationNormalizer, fx.InProcess.ActionNormalizer, 30);
        var (actions, _) = ddpm.PlanChunks([fx.Window(9)], 77, 20);
        Assert.Equal(Protos.Planning.SamplerKind.Ddpm, reply.Sampler);
        Assert.Equal(20, reply.Steps);
        Assert.Equal(actions[0].SelectMany(r => r).Select(v => (float)v), reply.Actions.SelectMany(a => a.Values));
    }
}
