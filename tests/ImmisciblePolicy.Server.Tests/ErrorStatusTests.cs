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

    /// <summary>Issue 12 defect 1: finite but huge observations gave all-NaN actions with OK.</summary>
    [Theory]
    [InlineData(1e25f)]
    [InlineData(-3e38f)]
    [InlineData(1e6f)]
    public async Task HugeFiniteObservation_IsInvalidArgument_NamingFieldAndAcceptedRange(float huge)
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var info = await client.GetPolicyAsync(new GetPolicyRequest { PolicyId = TinyPolicyFixture.PolicyId });
        Assert.Equal(fx.Do, info.ObservationMin.Count);
        var normalizer = fx.InProcess.ObservationNormalizer;
        for (int d = 0; d < fx.Do; d++)
        {
            // The accepted range contains the training range and maps onto normalised [-100, 100].
            Assert.True(info.ObservationMin[d] < normalizer.InputMin[d] && info.ObservationMax[d] > normalizer.InputMax[d]);
            Assert.Equal(-100f, info.ObservationMin[d] * normalizer.Scale[d] + normalizer.Offset[d], 2);
            Assert.Equal(100f, info.ObservationMax[d] * normalizer.Scale[d] + normalizer.Offset[d], 2);
        }
        var request = fx.Request(0);
        request.Observation.Values[2] = huge;
        var detail = (await Refused(client, request, StatusCode.InvalidArgument)).Status.Detail;
        Assert.Contains("observation.values[2] (step 1, feature 0", detail, StringComparison.Ordinal);
        Assert.Contains($"[{info.ObservationMin[0]:G9}, {info.ObservationMax[0]:G9}]", detail, StringComparison.Ordinal);
        // The edge of the accepted range still plans, with finite actions.
        var edge = fx.Request(0);
        for (int i = 0; i < edge.Observation.Values.Count; i++) edge.Observation.Values[i] = info.ObservationMax[i % fx.Do];
        var reply = await client.PlanAsync(edge);
        Assert.All(reply.Actions.SelectMany(a => a.Values), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>Issue 12 defect 2: timestep 2^63 - 1 overflowed the reply's action timesteps.</summary>
    [Fact]
    public async Task TimestepWhoseActionsWouldOverflow_IsInvalidArgument()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        int horizon = fx.InProcess.Config.Policy.Horizon;
        var late = fx.Request(0);
        late.Timestep = long.MaxValue;
        var detail = (await Refused(client, late, StatusCode.InvalidArgument)).Status.Detail;
        Assert.Contains($"timestep must be at most {long.MaxValue - horizon}", detail, StringComparison.Ordinal);
        var last = fx.Request(0);
        last.Timestep = long.MaxValue - horizon;
        var reply = await client.PlanAsync(last);
        Assert.Equal(long.MaxValue - horizon + reply.Actions.Count - 1, reply.Actions[^1].Timestep);
    }

    [Fact]
    public async Task ObservationAsFloat32Bytes_IsAnsweredInBytes_EqualToTheValuesReply()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var asValues = fx.Request(12, seed: 3);
        var asBytes = fx.Request(12, seed: 3);
        var bytes = new byte[asBytes.Observation.Values.Count * 4];
        for (int i = 0; i < asBytes.Observation.Values.Count; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), asBytes.Observation.Values[i]);
        asBytes.Observation.Values.Clear();
        asBytes.Observation.Data = Google.Protobuf.ByteString.CopyFrom(bytes);

        var valuesReply = await client.PlanAsync(asValues);
        var bytesReply = await client.PlanAsync(asBytes);
        Assert.Empty(bytesReply.Chunk.Values);
        Assert.Equal(valuesReply.Chunk.Shape, bytesReply.Chunk.Shape);
        var decoded = Enumerable.Range(0, bytesReply.Chunk.Data.Length / 4)
            .Select(i => System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytesReply.Chunk.Data.Span[(4 * i)..])).ToArray();
        Assert.Equal(valuesReply.Chunk.Values, decoded);
        Assert.True(valuesReply.Chunk.Data.IsEmpty);
        Assert.Equal(valuesReply.Actions.SelectMany(a => a.Values), bytesReply.Actions.SelectMany(a => a.Values));

        var both = asBytes.Clone();
        both.Observation.Values.Add(asValues.Observation.Values);
        Assert.Contains("set either values (repeated float) or data (float32 bytes), not both",
            (await Refused(client, both, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);
        var neither = asBytes.Clone();
        neither.Observation.Data = Google.Protobuf.ByteString.Empty;
        Assert.Contains("observation.values must hold 4 values", (await Refused(client, neither, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);
        var ragged = asBytes.Clone();
        ragged.Observation.Data = Google.Protobuf.ByteString.CopyFrom(bytes.AsSpan(0, 13));
        Assert.Contains("observation.data must hold 16 bytes", (await Refused(client, ragged, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);
        var nan = asBytes.Clone();
        var nanBytes = (byte[])bytes.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(nanBytes.AsSpan(4), float.NaN);
        nan.Observation.Data = Google.Protobuf.ByteString.CopyFrom(nanBytes);
        Assert.Contains("observation.data[1] (step 0, feature 1) must be finite", (await Refused(client, nan, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);
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
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxMessageBytes = 1024 });
        using var channel = TinyPolicyFixture.Channel(server);
        var client = TinyPolicyFixture.Client(channel);
        var big = fx.Request(0);
        for (int i = 0; i < 1000; i++) big.Observation.Values.Add(1f);   // about 4 kB
        await Refused(client, big, StatusCode.ResourceExhausted);
        // The server keeps serving well-formed requests.
        Assert.Equal(8, (await client.PlanAsync(fx.Request(0))).Actions.Count);
    }

    /// <summary>The default limit holds two 640x480 RGB cameras at To = 2 even as float32 bytes (about 14.7 MB).</summary>
    [Fact]
    public async Task DefaultMessageLimit_AcceptsCameraSizedRequests()
    {
        Assert.Equal(16 << 20, fx.Options().MaxMessageBytes);
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(server.Address,
            new global::Grpc.Net.Client.GrpcChannelOptions { MaxSendMessageSize = 32 << 20 });
        var client = TinyPolicyFixture.Client(channel);
        var big = fx.Request(0);
        big.Observation.Values.Add(new float[2 * 2 * 640 * 480 * 3]);  // 14.7 MB of floats: parsed, then refused by shape
        var detail = (await Refused(client, big, StatusCode.InvalidArgument)).Status.Detail;
        Assert.Contains("observation.values must hold 4 values", detail, StringComparison.Ordinal);
    }
}
