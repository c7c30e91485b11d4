using Grpc.Core;
using ImmisciblePolicy.Server.Hosting;
using SamplerKind = ImmisciblePolicy.Robotics.SamplerKind;

namespace ImmisciblePolicy.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class StreamPlansTests(TinyPolicyFixture fx)
{
    [Fact]
    public async Task StreamPlans_PacedObservations_EachGetTheUnaryReply()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        using var call = client.StreamPlans();
        for (int i = 0; i < 5; i++)
        {
            // Paced: send, wait for the reply, so nothing is skipped.
            await call.RequestStream.WriteAsync(fx.Request(i, seed: 100 + i));
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            var reply = call.ResponseStream.Current;
            var (actions, _) = fx.InProcess.PlanChunks([fx.Window(i)], 100 + i, null);
            Assert.Equal(i, reply.ObservationTimestep);
            Assert.Equal(0, reply.SkippedObservations);
            Assert.Equal(actions[0].SelectMany(r => r).Select(v => (float)v), reply.Actions.SelectMany(a => a.Values));
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Fact]
    public async Task StreamPlans_BurstOfObservations_SkipsStaleOnes_NewestWins()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        using var call = client.StreamPlans();
        const int sent = 40;
        var replies = new List<Protos.Planning.PlanResponse>();
        var reading = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) replies.Add(call.ResponseStream.Current);
        });
        // 100 DDPM steps make each plan far slower than sending 40 small messages.
        for (int i = 0; i < sent; i++) await call.RequestStream.WriteAsync(fx.Request(i, seed: 1, sampler: SamplerKind.Ddpm, steps: 100));
        await call.RequestStream.CompleteAsync();
        await reading;

        // Every observation is either answered or counted as skipped; some were skipped.
        Assert.InRange(replies.Count, 1, sent - 1);
        Assert.Equal(sent, replies.Count + replies.Sum(r => r.SkippedObservations));
        Assert.Equal(sent - 1, replies[^1].ObservationTimestep);         // the newest always wins
        Assert.True(replies.Zip(replies.Skip(1)).All(p => p.Second.ObservationTimestep > p.First.ObservationTimestep),
            "replies must follow observation order");
    }

    [Fact]
    public async Task StreamPlans_InvalidObservation_EndsStreamWithInvalidArgument()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        using var call = client.StreamPlans();
        var bad = fx.Request(0, seed: 1);
        bad.Observation.Values[0] = float.NaN;
        await call.RequestStream.WriteAsync(bad);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("observation.values[0]", e.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 12 defect 4: an invalid request overtaken by a newer one in a burst was skipped silently with OK.
    /// Requests are validated on arrival, so it ends the stream whatever follows it.
    /// </summary>
    [Fact]
    public async Task StreamPlans_InvalidObservationOvertakenInABurst_StillEndsTheStream()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        using var call = client.StreamPlans();
        // A slow plan first (100 DDPM steps), then the invalid one and newer valid ones in a burst: without
        // validation on arrival the invalid one would sit in the newest-wins slot and be replaced.
        await call.RequestStream.WriteAsync(fx.Request(0, seed: 1, sampler: SamplerKind.Ddpm, steps: 100));
        var bad = fx.Request(1, seed: 1);
        bad.Observation.Values[0] = 1e30f;
        await call.RequestStream.WriteAsync(bad);
        for (int i = 2; i < 6; i++) await call.RequestStream.WriteAsync(fx.Request(i, seed: 1));
        await call.RequestStream.CompleteAsync();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
        });
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("observation.values[0]", e.Status.Detail, StringComparison.Ordinal);
    }
}
