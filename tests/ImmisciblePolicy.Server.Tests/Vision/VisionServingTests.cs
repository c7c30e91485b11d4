using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Server.Inference;
using SkiaSharp;
using Xunit.Abstractions;
using SamplerKind = ImmisciblePolicy.Robotics.SamplerKind;
using ImageFeature = ImmisciblePolicy.Policy.Data.ImageFeature;

namespace ImmisciblePolicy.Server.Tests.Vision;

/// <summary>
/// Vision policies over gRPC: PlanRequest.images (one map of camera -> Image per observation step), GetPolicy's
/// image_features, validation of every image field, dynamic batching of image requests with per-request seeds, and
/// flat live tensors over many image plans.
/// </summary>
[Collection(VisionServerCollection.Name)]
public sealed class VisionServingTests(TinyVisionFixture fx, ITestOutputHelper output)
{
    /// <summary>As <see cref="SeededBatchingTests"/>: batched rows agree with their plans alone to float32 rounding of the batched network.</summary>
    private const double Tolerance = 5e-5;

    private static PlanningService.PlanningServiceClient Client(GrpcChannel channel) => new(channel);

    private static GrpcChannel Channel(RunningPlanningServer server) =>
        GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20, MaxSendMessageSize = 16 << 20 });

    private void AssertClose(double[][] expected, IEnumerable<float> actual, string what, double tolerance = Tolerance)
    {
        var e = expected.SelectMany(r => r).ToArray();
        var a = actual.ToArray();
        Assert.Equal(e.Length, a.Length);
        var normalizer = fx.InProcess.ActionNormalizer;
        double worst = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double d = Math.Abs(e[i] - a[i]) * normalizer.Scale[i % normalizer.Dim] ;   // normalised action units
            worst = Math.Max(worst, d);
            Assert.True(d <= tolerance, $"{what}[{i}]: expected {e[i]}, got {a[i]} ({d:E2} normalised)");
        }
        output.WriteLine($"{what}: largest difference {worst:E2} (normalised)");
    }

    [Fact]
    public async Task GetPolicy_DescribesTheCamerasAndTheStateOfAVisionPolicy()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = Channel(server);
        var info = await Client(channel).GetPolicyAsync(new GetPolicyRequest { PolicyId = TinyVisionFixture.PolicyId });
        var feature = Assert.Single(info.ImageFeatures);
        Assert.Equal(("observation.image", 16, 16, 3), (feature.Name, feature.Height, feature.Width, feature.Channels));
        Assert.Equal(2, info.ObservationSize);                       // observation.state = agent position; frames come in images
        Assert.Equal(PixelObservations.StateNames, info.ObservationNames);
        Assert.Equal(2, info.ObservationMin.Count);
        Assert.Equal("torch", info.Engine);
    }

    [Fact]
    public async Task RawPngAndJpegFrames_PlanLikeTheInProcessPolicy()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = 1 });
        using var channel = Channel(server);
        var client = Client(channel);

        var raw = await client.PlanAsync(fx.Request(3, seed: 77));
        var (_, expected) = fx.InProcess.PlanChunks([fx.Window(3)], 77, null);
        AssertClose(expected[0], raw.Chunk.Values, "raw", 1e-5);
        Assert.Equal(77, raw.Seed);

        // PNG is lossless: the same pixels, the same plan.
        var png = fx.Request(3, seed: 77);
        foreach (var step in png.Images)
            foreach (var image in step.Cameras.Values)
            {
                image.Data = ByteString.CopyFrom(PngCodec.Encode(fx.Camera, image.Data.Span));
                image.Encoding = ImageEncoding.Png;
            }
        Assert.Equal(raw.Chunk.Values, (await client.PlanAsync(png)).Chunk.Values);

        // JPEG is lossy: the server plans from the decoded pixels, as the in-process policy does from the same decode.
        var jpeg = fx.Request(3, seed: 77);
        var decoded = new List<Observation>();
        var window = fx.Window(3);
        for (int t = 0; t < fx.To; t++)
        {
            var image = jpeg.Images[t].Cameras[fx.Camera.Name];
            var file = Jpeg(image.Data.ToByteArray());
            image.Data = ByteString.CopyFrom(file);
            image.Encoding = ImageEncoding.Jpeg;
            var pixels = new byte[fx.Camera.FrameBytes];
            PngCodec.Decode(file, fx.Camera, pixels, "test");
            decoded.Add(window.Steps[t] with { Images = [CameraFrame.Of(fx.Camera, pixels)] });
        }
        var (_, fromJpeg) = fx.InProcess.PlanChunks([new ObservationWindow(decoded)], 77, null);
        AssertClose(fromJpeg[0], (await client.PlanAsync(jpeg)).Chunk.Values, "jpeg", 1e-5);
    }

    private byte[] Jpeg(byte[] rgb)
    {
        var info = new SKImageInfo(fx.Camera.Width, fx.Camera.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var pixels = new byte[info.BytesSize];
        for (int p = 0; p < fx.Camera.Width * fx.Camera.Height; p++)
        {
            pixels[4 * p] = rgb[3 * p];
            pixels[(4 * p) + 1] = rgb[(3 * p) + 1];
            pixels[(4 * p) + 2] = rgb[(3 * p) + 2];
            pixels[(4 * p) + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    public static TheoryData<string, string> BadImages() => new()
    {
        { "no images", "camera 'observation.image' is missing" },
        { "one step", "images must have To = 2 entries" },
        { "missing camera", "images[1].cameras[\"observation.image\"]: camera 'observation.image' is missing" },
        { "unknown camera", "images[0].cameras[\"observation.images.wrist\"]: unknown camera" },
        { "height", "images[0].cameras[\"observation.image\"]: height x width must be 16 x 16" },
        { "width", "images[1].cameras[\"observation.image\"]: height x width must be 16 x 16 (PolicyInfo.image_features); got 16 x 15" },
        { "channels", "images[0].cameras[\"observation.image\"].channels must be 3" },
        { "encoding", "images[0].cameras[\"observation.image\"].encoding must be RAW_HWC_UINT8 (0), PNG (1) or JPEG (2); got 7" },
        { "raw bytes", "images[1].cameras[\"observation.image\"].data must hold height x width x channels = 16 x 16 x 3 = 768" },
        { "png not png", "images[0].cameras[\"observation.image\"].data is not a PNG file" },
        { "jpeg not jpeg", "images[0].cameras[\"observation.image\"].data is not a JPEG file" },
        { "png truncated", "images[0].cameras[\"observation.image\"].data (PNG): image feature 'observation.image' could not be decoded as PNG" },
        { "png wrong size", "holds a 8 x 8 image" },
        { "empty png", "images[0].cameras[\"observation.image\"].data is empty" },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task BadImageFields_AreInvalidArgument_NamingTheField(string what, string expected)
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = Channel(server);
        var request = fx.Request(2, seed: 1);
        var first = request.Images[0].Cameras[fx.Camera.Name];
        var png = PngCodec.Encode(fx.Camera, first.Data.Span);
        switch (what)
        {
            case "no images": request.Images.Clear(); break;
            case "one step": request.Images.RemoveAt(1); break;
            case "missing camera": request.Images[1].Cameras.Clear(); break;
            case "unknown camera": request.Images[0].Cameras["observation.images.wrist"] = first.Clone(); break;
            case "height": first.Height = 17; break;
            case "width": request.Images[1].Cameras[fx.Camera.Name].Width = 15; break;
            case "channels": first.Channels = 1; break;
            case "encoding": first.Encoding = (ImageEncoding)7; break;
            case "raw bytes": request.Images[1].Cameras[fx.Camera.Name].Data = ByteString.CopyFrom(new byte[767]); break;
            case "png not png": first.Encoding = ImageEncoding.Png; break;
            case "jpeg not jpeg": first.Encoding = ImageEncoding.Jpeg; first.Data = ByteString.CopyFrom(png); break;
            case "png truncated": first.Encoding = ImageEncoding.Png; first.Data = ByteString.CopyFrom(png.AsSpan(0, png.Length / 2)); break;
            case "png wrong size":
                first.Encoding = ImageEncoding.Png;
                first.Data = ByteString.CopyFrom(PngCodec.Encode(new ImageFeature("small", 8, 8), new byte[8 * 8 * 3]));
                break;
            case "empty png": first.Encoding = ImageEncoding.Png; first.Data = ByteString.Empty; break;
            default: throw new ArgumentException(what);
        }
        var e = await Assert.ThrowsAsync<RpcException>(() => Client(channel).PlanAsync(request).ResponseAsync);
        output.WriteLine(e.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void StateOnlyPolicy_RefusesImages_AndIgnoresTheirAbsence()
    {
        var stateOnly = new PolicyDescription("tiny", SimTaskKind.Bimodal, 2, 2, 2, 16, 8, 0.1, SamplerKind.Ddim, 10, 100,
            new ImmisciblePolicy.Server.Inference.PolicyVersion(1, "h"), ["agent.x", "agent.y"], ["x", "y"], "/p", [-1e4f, -1e4f], [1e4f, 1e4f]);
        var request = fx.Request(1, seed: 1);
        request.PolicyId = "tiny";
        var e = Assert.Throws<RpcException>(() => ImmisciblePolicy.Server.Grpc.PlanMapping.ToInput(request, stateOnly));
        output.WriteLine(e.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("images: policy 'tiny' is a state-only policy", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("[observation.image]", e.Status.Detail, StringComparison.Ordinal);
        request.Images.Clear();
        Assert.Null(ImmisciblePolicy.Server.Grpc.PlanMapping.ToInput(request, stateOnly).Frames);
    }

    [Fact]
    public async Task TwoVgaCamerasAtToTwo_FitTheDefaultMessageLimit()
    {
        // 2 cameras x 640 x 480 x 3 x To = 2 = 3.7 MB raw: parsed and validated (INVALID_ARGUMENT for this 16 x 16
        // policy), not refused as too large (RESOURCE_EXHAUSTED) by the default 16 MiB limit.
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = Channel(server);
        var request = fx.Request(1, seed: 1);
        var vga = new Image { Height = 480, Width = 640, Channels = 3, Data = ByteString.CopyFrom(new byte[640 * 480 * 3]) };
        foreach (var step in request.Images)
        {
            step.Cameras[fx.Camera.Name] = vga.Clone();
            step.Cameras["observation.images.wrist"] = vga.Clone();
        }
        Assert.True(request.CalculateSize() > 3_600_000, $"request is {request.CalculateSize()} bytes");
        var e = await Assert.ThrowsAsync<RpcException>(() => Client(channel).PlanAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Theory]
    [InlineData(SamplerKind.Ddim, 6)]
    [InlineData(SamplerKind.Ddpm, 12)]
    public async Task ConcurrentImageRequestsWithDifferentSeeds_ShareABatch_AndEachEqualsItsPlanAlone(SamplerKind sampler, int steps)
    {
        const int robots = 6;
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = robots, MaxWaitMs = 2000 });
        using var channel = Channel(server);
        var client = Client(channel);
        var requests = Enumerable.Range(0, robots)
            .Select(r => fx.Request(4 + 3 * r, seed: r % 2 == 0 ? 500 + r : null, session: $"eye-{r}", sampler: sampler, steps: steps)).ToList();
        var replies = await Task.WhenAll(requests.Select(r => client.PlanAsync(r).ResponseAsync));
        Assert.Contains(replies, r => r.Timing.BatchSize > 1);
        using var ddpm = sampler == SamplerKind.Ddpm
            ? new TrainedPolicy(fx.InProcess.Config with { Sampler = SamplerKind.Ddpm }, PolicyCheckpoint.Load(fx.CheckpointDirectory).Vision!,
                fx.InProcess.ObservationNormalizer, fx.InProcess.ActionNormalizer, fx.InProcess.Step)
            : null;
        var policy = ddpm ?? fx.InProcess;
        for (int r = 0; r < robots; r++)
        {
            long seed = r % 2 == 0 ? 500 + r : SessionSeed.For($"eye-{r}", 4 + 3 * r);
            Assert.Equal(seed, replies[r].Seed);
            var (_, alone) = policy.PlanChunks([fx.Window(4 + 3 * r)], seed, steps);
            AssertClose(alone[0], replies[r].Chunk.Values, $"robot {r} (batch of {replies[r].Timing.BatchSize})");
        }
        // Different windows, different plans: the frames really reach the network per request.
        Assert.NotEqual(replies[0].Chunk.Values, replies[2].Chunk.Values);
    }

    [Fact]
    public async Task AThousandImagePlans_KeepTheWorkersLiveTensorCountFlat()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with { MaxBatch = 8, MaxWaitMs = 1 });
        var worker = server.Registry.Find(TinyVisionFixture.PolicyId)!.Worker;
        var requests = Enumerable.Range(0, 8).Select(i => fx.Request(i, steps: 2)).ToArray();
        async Task Burst(int clients, int plans) => await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var channel = Channel(server);
            var client = Client(channel);
            for (int i = 0; i < plans; i++)
            {
                var request = requests[(c + i) % requests.Length].Clone();
                request.SessionId = $"leak-{c}";
                request.Timestep = i;
                await client.PlanAsync(request);
            }
        })));
        await Burst(4, 5);
        long before = worker.LiveTensorsAfterLastBatch;
        await Burst(8, 125);                                              // 1,000 image plans in batches of varying size
        output.WriteLine($"live tensors after warm-up {before}, after 1,000 image plans {worker.LiveTensorsAfterLastBatch}");
        Assert.Equal(before, worker.LiveTensorsAfterLastBatch);
    }

    [Fact]
    public async Task OnnxEngine_RefusesVisionPolicies_WithFailedPrecondition()
    {
        var options = fx.Options() with { Engine = Policy.PolicyEngine.Onnx, Onnx = new Onnx.OnnxEngineOptions { IntraOpThreads = 1 }, AdminKey = "k" };
        await using var server = await PlanningServerHost.StartAsync(options);
        Assert.Empty(server.Registry.All);                               // start-up loading logged and skipped it
        using var channel = Channel(server);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client(channel).LoadPolicyAsync(
            new LoadPolicyRequest { PolicyId = "eye2", CheckpointDir = TinyVisionFixture.PolicyId }, new Metadata { { "x-admin-key", "k" } }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("vision policies run on the torch engine only", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("--engine torch", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamPlans_CarriesImagesToo()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var channel = Channel(server);
        using var call = Client(channel).StreamPlans();
        await call.RequestStream.WriteAsync(fx.Request(5, seed: 8));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var (_, expected) = fx.InProcess.PlanChunks([fx.Window(5)], 8, null);
        AssertClose(expected[0], call.ResponseStream.Current.Chunk.Values, "streamed", 1e-5);
        var bad = fx.Request(6, seed: 8);
        bad.Images[0].Cameras.Clear();
        await call.RequestStream.WriteAsync(bad);
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("images[0]", e.Status.Detail, StringComparison.Ordinal);
    }
}
