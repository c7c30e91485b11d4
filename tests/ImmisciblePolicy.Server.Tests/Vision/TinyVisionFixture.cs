using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Policy.Networks.Vision;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Server.Hosting;
using SamplerKind = ImmisciblePolicy.Robotics.SamplerKind;
using ImageFeature = ImmisciblePolicy.Policy.Data.ImageFeature;

namespace ImmisciblePolicy.Server.Tests.Vision;

/// <summary>
/// One tiny vision policy (a 2-stage 8/16-channel trunk on 16 x 16 frames cropped to 12 x 12, U-Net widths 16/32,
/// 4 training steps on bimodal pixel demonstrations: a few seconds) served from a temporary policies directory, plus
/// the same checkpoint loaded in this process, and real pixel observations to plan from.
/// </summary>
public sealed class TinyVisionFixture : IDisposable
{
    public const string PolicyId = "eye";

    public const int Size = 16;

    public TinyVisionFixture()
    {
        TorchRuntime.Configure(1);
        Root = Directory.CreateTempSubdirectory("immiscible-vision-server-").FullName;
        PoliciesDirectory = Path.Combine(Root, "policies");
        CheckpointDirectory = Path.Combine(PoliciesDirectory, PolicyId);
        var demo = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 4, firstSeed: 0, imageSize: Size);
        var encoder = new RgbEncoderConfig
        {
            BaseWidth = 8, BlocksPerStage = [1, 1], GroupNormChannelsPerGroup = 4, NumKeypoints = 4, CropHeight = 12, CropWidth = 12,
        };
        var config = new PolicyRunConfig
        {
            Task = SimTaskKind.Bimodal,
            Policy = new DiffusionPolicyConfig
            {
                Unet = new UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 },
                Vision = new VisionConfig { Encoder = encoder },
            },
            Trainer = new TrainerConfig { Steps = 4, BatchSize = 8, CheckpointEvery = 4, LogEvery = 4, Seed = 5 },
            Sampler = SamplerKind.Ddim,
            InferenceSteps = 6,
        };
        PolicyTraining.Train(config, demo.Dataset, CheckpointDirectory).Dispose();
        InProcess = PolicyCheckpoint.Load(CheckpointDirectory);
        Camera = InProcess.Cameras.Single();
    }

    public string Root { get; }

    public string PoliciesDirectory { get; }

    public string CheckpointDirectory { get; }

    /// <summary>The served checkpoint, loaded in this process.</summary>
    public TrainedPolicy InProcess { get; }

    /// <summary>The policy's only camera: observation.image, 16 x 16 RGB.</summary>
    public ImageFeature Camera { get; }

    public int To => InProcess.Config.Policy.ObsSteps;

    /// <summary>
    /// A real pixel observation window: the bimodal task reset with seed <paramref name="i"/> and stepped once towards
    /// (0.1 i, -0.1 i); To = 2 observations (agent position + rendered frame), oldest first.
    /// </summary>
    public ObservationWindow Window(int i)
    {
        var env = SimTasks.Create(SimTaskKind.Bimodal);
        env.Reset(i);
        var first = PixelObservations.Observe(env, InProcess.Cameras);
        env.Step([0.1 * (i % 7), -0.1 * (i % 5)]);
        var second = PixelObservations.Observe(env, InProcess.Cameras);
        return new ObservationWindow([first, second]);
    }

    /// <summary>A Plan request for <see cref="Window"/>(i) with raw HWC uint8 frames.</summary>
    public PlanRequest Request(int i, long? seed = null, string session = "eye-0", SamplerKind sampler = SamplerKind.Ddim, int steps = 0)
    {
        var window = Window(i);
        var tensor = new Protos.Planning.Tensor();
        tensor.Shape.Add(To);
        tensor.Shape.Add(window.Steps[0].State.Length);
        foreach (var step in window.Steps) foreach (var v in step.State) tensor.Values.Add((float)v);
        var request = new PlanRequest
        {
            PolicyId = PolicyId,
            SessionId = session,
            Observation = tensor,
            Timestep = i,
            ObservationTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i * 0.1)),
            Sampler = new SamplerSettings
            {
                Sampler = sampler == SamplerKind.Ddim ? Protos.Planning.SamplerKind.Ddim : Protos.Planning.SamplerKind.Ddpm,
                Steps = steps,
                Seed = seed,
            },
        };
        foreach (var step in window.Steps)
        {
            var images = new ObservationImages();
            foreach (var frame in step.Images)
                images.Cameras[frame.Camera] = new Image
                {
                    Height = frame.Height, Width = frame.Width, Channels = frame.Channels,
                    Encoding = ImageEncoding.RawHwcUint8, Data = ByteString.CopyFrom(frame.Pixels),
                };
            request.Images.Add(images);
        }
        return request;
    }

    /// <summary>Options for a loopback server on a free port over this fixture's policies, without telemetry.</summary>
    public PlanningServerOptions Options() => new()
    {
        PoliciesDirectory = PoliciesDirectory,
        Url = "http://127.0.0.1:0",
        TelemetryEndpoint = null,
        TorchThreads = 1,
    };

    public void Dispose()
    {
        InProcess.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { /* a reader may still hold a file */ }
    }
}

[CollectionDefinition(Name)]
public sealed class VisionServerCollection : ICollectionFixture<TinyVisionFixture>
{
    public const string Name = "vision planning server";
}
