using Grpc.Core;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Server.Tests;

/// <summary>Every refusal carries the right status code and a message naming the field, never native text.</summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorStatusTests(TinyPolicyFixture fx)
{
    private static async Task<RpcException> Refused(PlanningService.PlanningServiceClient client, PlanRequest request, StatusCode expected)
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.PlanAsync(request));
        Assert.Equal(expected, e.StatusCode);
        foreach (var leak in new[] { "c10", "libtorch", "Exception", "   at " })
            Assert.DoesNotContain(leak, e.Status.Detail, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task BadInputs_AreInvalidArgument_NamingTheField()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);

        var wrongShape = fx.Request(0);
        wrongShape.Observation.Shape[0] = 3;
        Assert.Contains($"observation.shape must be [{fx.To}, {fx.Do}]", (await Refused(client, wrongShape, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);

        var shortValues = fx.Request(0);
        shortValues.Observation.Values.RemoveAt(0);
        Assert.Contains("observation.values must hold 4 values", (await Refused(client, shortValues, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);

        var nan = fx.Request(0);
        nan.Observation.Values[1] = float.NaN;
        Assert.Contains("observation.values[1]", (await Refused(client, nan, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);

        var inf = fx.Request(0);
        inf.Observation.Values[3] = float.PositiveInfinity;
        Assert.Contains("observation.values[3] (step 1, feature 1) must be finite", (await Refused(client, inf, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);

        var steps = fx.Request(0);
        steps.Sampler.Steps = 5000;
        Assert.Contains("sampler.steps must be between 1 and 100", (await Refused(client, steps, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);

        var negative = fx.Request(0);
        negative.Timestep = -1;
        Assert.Contains("timestep must be >= 0", (await Refused(client, negative, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);

        var missing = fx.Request(0);
        missing.Observation = null;
        Assert.Contains("observation is required", (await Refused(client, missing, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);

        var noPolicy = fx.Request(0);
        noPolicy.PolicyId = "";
        Assert.Contains("policy_id is required", (await Refused(client, noPolicy, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPolicy_IsNotFound_ListingWhatIsServed()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var request = fx.Request(0);
        request.PolicyId = "nope";
        var e = await Refused(client, request, StatusCode.NotFound);
        Assert.Contains("policy_id 'nope' is not served; available: [tiny]", e.Status.Detail, StringComparison.Ordinal);
        var get = await Assert.ThrowsAsync<RpcException>(async () => await client.GetPolicyAsync(new GetPolicyRequest { PolicyId = "nope" }));
        Assert.Equal(StatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task OversizedMessage_IsResourceExhausted()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxReceiveMessageBytes = 1024 });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var big = fx.Request(0);
        for (int i = 0; i < 1000; i++) big.Observation.Values.Add(1f);   // about 4 kB
        await Refused(client, big, StatusCode.ResourceExhausted);
        // The server keeps serving well-formed requests.
        Assert.Equal(8, (await client.PlanAsync(fx.Request(0))).Actions.Count);
    }
}
