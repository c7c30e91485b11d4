using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Server.Tests;

/// <summary>`serve --engine onnx`: the same contract, validation, seeds and batching, with ONNX Runtime running the denoiser.</summary>
[Collection(ServerCollection.Name)]
public sealed class EngineTests(TinyPolicyFixture fx)
{
    private PlanningServerOptions OnnxOptions(int maxBatch = 32) => fx.Options() with
    {
        Engine = PolicyEngine.Onnx,
        Onnx = new Onnx.OnnxEngineOptions { IntraOpThreads = 1 },
        MaxBatch = maxBatch,
        MaxWaitMs = maxBatch > 1 ? 200 : 0,
    };

    [Fact]
    public async Task GetPolicy_ReportsTheEngine()
    {
        await using var torch = await PlanningServerHost.StartAsync(fx.Options());
        await using var onnx = await PlanningServerHost.StartAsync(OnnxOptions());
        foreach (var (server, expected) in new[] { (torch, "torch"), (onnx, "onnx") })
        {
            using var channel = TinyPolicyFixture.Channel(server);
            var client = TinyPolicyFixture.Client(channel);
            var info = await client.GetPolicyAsync(new GetPolicyRequest { PolicyId = TinyPolicyFixture.PolicyId });
            Assert.Equal(expected, info.Engine);
            var listed = await client.ListPoliciesAsync(new ListPoliciesRequest());
            Assert.Equal(expected, listed.Policies.Single().Engine);
        }
    }

    [Fact]
    public async Task SeededPlans_FromTheOnnxEngine_MatchTheInProcessTorchPlans()
    {
        // Same seed, same initial noise and scheduler steps: only the forward pass differs (float32 rounding, ~1e-6).
        await using var server = await PlanningServerHost.StartAsync(OnnxOptions());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var requests = Enumerable.Range(0, 4).Select(i => (I: 5 * i, Seed: 100L + i)).ToArray();
        // Sent together, so the server batches them (each keeps its own seed).
        var replies = await Task.WhenAll(requests.Select(r => client.PlanAsync(fx.Request(r.I, r.Seed)).ResponseAsync));
        double range = fx.InProcess.ActionNormalizer.Scale.ToArray().Max(s => 2.0 / s);
        for (int k = 0; k < requests.Length; k++)
        {
            var (_, chunks) = fx.InProcess.PlanChunks([fx.Window(requests[k].I)], requests[k].Seed, null);
            var expected = chunks[0].SelectMany(r => r).ToArray();
            var actual = replies[k].Chunk.Values;
            Assert.Equal(expected.Length, actual.Count);
            for (int j = 0; j < expected.Length; j++)
                Assert.True(Math.Abs(expected[j] - actual[j]) <= 1e-4 * range,
                    $"request {k}, value {j}: onnx {actual[j]} vs torch {expected[j]} (action range {range})");
        }
        Assert.Contains(replies, r => r.Timing.BatchSize > 1);
    }

    [Fact]
    public async Task OnnxEngine_StillRejectsBadObservations()
    {
        await using var server = await PlanningServerHost.StartAsync(OnnxOptions());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var request = fx.Request(3, seed: 1);
        request.Observation.Values[0] = 1e25f;
        var e = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => client.PlanAsync(request).ResponseAsync);
        Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
    }
}
