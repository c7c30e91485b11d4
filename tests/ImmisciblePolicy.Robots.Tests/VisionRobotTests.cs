using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Policy.Networks.Vision;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Robots.Telemetry;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Sim.Rendering;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>
/// A tiny vision policy (16 x 16 frames, 2-stage 8/16 trunk, U-Net 16/32, 4 training steps on bimodal pixel
/// demonstrations) served from a temporary directory, with the same checkpoint loaded in this process.
/// </summary>
public sealed class TinyServedVisionPolicy : IDisposable
{
    public const string PolicyId = "eye";

    public TinyServedVisionPolicy()
    {
        TorchRuntime.Configure(1);
        Root = Directory.CreateTempSubdirectory("immiscible-robots-vision-").FullName;
        PoliciesDirectory = Path.Combine(Root, "policies");
        var demo = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 4, firstSeed: 0, imageSize: 16);
        Config = new PolicyRunConfig
        {
            Task = SimTaskKind.Bimodal,
            Policy = new DiffusionPolicyConfig
            {
                Unet = new UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 },
                Vision = new VisionConfig
                {
                    Encoder = new RgbEncoderConfig
                    {
                        BaseWidth = 8, BlocksPerStage = [1, 1], GroupNormChannelsPerGroup = 4, NumKeypoints = 4, CropHeight = 12, CropWidth = 12,
                    },
                },
            },
            Trainer = new TrainerConfig { Steps = 4, BatchSize = 8, CheckpointEvery = 4, LogEvery = 4, Seed = 5 },
            Sampler = SamplerKind.Ddim,
            InferenceSteps = 4,
        };
        PolicyTraining.Train(Config, demo.Dataset, Path.Combine(PoliciesDirectory, PolicyId)).Dispose();
        InProcess = PolicyCheckpoint.Load(Path.Combine(PoliciesDirectory, PolicyId));
    }

    public string Root { get; }

    public string PoliciesDirectory { get; }

    public PolicyRunConfig Config { get; }

    public TrainedPolicy InProcess { get; }

    public PlanningServerOptions Options(string? telemetry = null, string? telemetryIn = null) => new()
    {
        PoliciesDirectory = PoliciesDirectory,
        Url = "http://127.0.0.1:0",
        TelemetryEndpoint = telemetry,
        TelemetryInEndpoint = telemetryIn,
        TorchThreads = 1,
        MaxBatch = 1,                 // bit-for-bit agreement with in-process plans (see RobotFleetTests)
    };

    public void Dispose()
    {
        InProcess.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { /* best effort */ }
    }
}

[CollectionDefinition(Name)]
public sealed class ServedVisionPolicyCollection : ICollectionFixture<TinyServedVisionPolicy>
{
    public const string Name = "served tiny vision policy";
}

/// <summary>Robots of a vision policy: frames in every request (GetPolicy's image_features), in telemetry, and in recorded datasets.</summary>
[Collection(ServedVisionPolicyCollection.Name)]
public sealed class VisionRobotTests(TinyServedVisionPolicy fx)
{
    private const long FirstSeed = 200_000;

    [Fact]
    public async Task Fleet_OfAVisionPolicy_SendsPixelObservations_AndScoresEqualInProcessEvaluation()
    {
        await using var server = await PlanningServerHost.StartAsync(fx.Options());
        using var connection = new PlanningConnection(server.Address.ToString());
        var policy = await connection.ResolvePolicyAsync(null, SimTaskKind.Bimodal);
        Assert.Equal("observation.image", Assert.Single(policy.ImageFeatures).Name);
        Assert.Equal([new ImageFeature("observation.image", 16, 16)], new RobotClient("r", connection, policy, new RobotConfig(SimTaskKind.Bimodal)).Cameras);

        var fleet = await RobotFleet.RunAsync(connection, policy, new RobotConfig(SimTaskKind.Bimodal), robots: 2, episodes: 2, FirstSeed);
        var reference = EpisodewiseEvaluation.Evaluate(fx.InProcess, SimTaskKind.Bimodal, 2, FirstSeed);
        Assert.Equal(reference.Episodes, fleet.Evaluation.Episodes);

        var remote = new RemotePlanner(connection, policy);
        Assert.Equal(fx.InProcess.Cameras, remote.Cameras);
        Assert.Equal(reference.Episodes[0], EpisodewiseEvaluation.Evaluate(remote, SimTaskKind.Bimodal, 1, FirstSeed).Episodes[0]);
    }

    [Fact]
    public async Task TelemetryOfVisionRobots_ThroughTheRelay_RecordsAnImageDatasetThatTrainsAgain()
    {
        string pub = Loopback.FreeTcpEndpoint(), sub = Loopback.FreeTcpEndpoint();
        await using var server = await PlanningServerHost.StartAsync(fx.Options(telemetry: pub, telemetryIn: sub));
        using var recorder = new TelemetryRecorder(pub);
        using var robots = new RobotTelemetryPublisher(sub);
        Assert.True(robots.WaitForSubscriber(TimeSpan.FromSeconds(5)), "the server's relay never subscribed");
        Assert.True(await recorder.WaitUntilReachedAsync(robots, TimeSpan.FromSeconds(15)), "no probe crossed the relay to the recorder");
        using var connection = new PlanningConnection(server.Address.ToString());
        var policy = await connection.GetPolicyAsync(TinyServedVisionPolicy.PolicyId);

        var fleet = await RobotFleet.RunAsync(connection, policy, new RobotConfig(SimTaskKind.Bimodal), robots: 2, episodes: 2, FirstSeed, robots);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.True(await recorder.WaitForEpisodesAsync(2, cts.Token),
            $"recorded {recorder.Episodes.Count} of 2 episodes ({recorder.Received} messages, {recorder.Malformed} malformed, {recorder.Incomplete} incomplete)");

        var dir = Path.Combine(fx.Root, $"recorded-{Guid.NewGuid():N}");
        await new LeRobotDatasetWriter().WriteAsync(recorder.ToDataset(SimTaskKind.Bimodal), dir);
        var back = await LeRobotDatasetReader.ReadAsync(dir);
        var camera = new ImageFeature("observation.image", 16, 16);
        Assert.Equal([camera], back.ImageFeatures);
        Assert.Equal(PixelObservations.StateNames, back.StateNames);
        Assert.Equal(fleet.Episodes.Sum(e => e.Result.Steps), back.TotalFrames);

        // Frame 0 of every episode is the rendered reset scene of its seed and its state the agent position; the
        // written dataset holds the same frames (episodes in session order, as ToDataset writes them).
        var frame = new byte[camera.FrameBytes];
        var env = SimTasks.Create(SimTaskKind.Bimodal);
        for (int i = 0; i < back.Episodes.Count; i++)
        {
            var recorded = recorder.Episodes[i];
            long seed = long.Parse(recorded.Session[(recorded.Session.LastIndexOf("/seed", StringComparison.Ordinal) + 5)..], System.Globalization.CultureInfo.InvariantCulture);
            env.Reset(seed);
            back.Episodes[i].Images[camera.Name].CopyFrame(0, frame);
            Assert.Equal(ObservationImage.Render(env, 16, 16), frame);
            Assert.Equal(PixelObservations.State(env).Select(v => (float)v), back.Episodes[i].State(0).ToArray());
        }

        // The recorded dataset trains a vision policy again.
        var again = Path.Combine(fx.Root, $"retrained-{Guid.NewGuid():N}");
        using var retrained = PolicyTraining.Train(fx.Config with { Trainer = fx.Config.Trainer with { Steps = 2, CheckpointEvery = 2 } }, back, again);
        Assert.Equal(fx.InProcess.Cameras, retrained.Cameras);
        var plan = retrained.Plan([new ObservationWindow([PixelObservations.Observe(env, retrained.Cameras), PixelObservations.Observe(env, retrained.Cameras)])], 1);
        Assert.All(plan[0].SelectMany(a => a), v => Assert.True(double.IsFinite(v)));
    }
}
