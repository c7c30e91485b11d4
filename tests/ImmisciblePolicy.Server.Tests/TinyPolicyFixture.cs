using Grpc.Net.Client;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Core.Training;
using Google.Protobuf.WellKnownTypes;
using SamplerKind = ImmisciblePolicy.Robotics.SamplerKind;

namespace ImmisciblePolicy.Server.Tests;

/// <summary>
/// Trains one tiny bimodal-reach policy (U-Net widths [16, 32], 30 steps: a few seconds) into a temporary
/// policies directory shared by every server test, plus an in-process copy of it to compare against.
/// </summary>
public sealed class TinyPolicyFixture : IDisposable
{
    public const string PolicyId = "tiny";

    public TinyPolicyFixture()
    {
        TorchRuntime.Configure(1);
        Root = Directory.CreateTempSubdirectory("immiscible-server-tests-").FullName;
        PoliciesDirectory = Path.Combine(Root, "policies");
        CheckpointDirectory = Path.Combine(PoliciesDirectory, PolicyId);
        var demo = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 4, firstSeed: 0);
        Observations = demo.Dataset.Episodes.SelectMany(e => Enumerable.Range(0, e.Length).Select(t => e.State(t).ToArray())).ToArray();
        var config = new PolicyRunConfig
        {
            Task = SimTaskKind.Bimodal,
            Policy = new DiffusionPolicyConfig { Unet = new UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 } },
            Trainer = new TrainerConfig { Steps = 30, BatchSize = 16, CheckpointEvery = 30, LogEvery = 30, Seed = 7 },
            Sampler = SamplerKind.Ddim,
            InferenceSteps = 10,
        };
        PolicyTraining.Train(config, demo.Dataset, CheckpointDirectory).Dispose();
        InProcess = PolicyCheckpoint.Load(CheckpointDirectory);
    }

    /// <summary>Temporary root (deleted on dispose).</summary>
    public string Root { get; }

    /// <summary>Policies directory holding <see cref="PolicyId"/>.</summary>
    public string PoliciesDirectory { get; }

    /// <summary>The tiny policy's checkpoint.</summary>
    public string CheckpointDirectory { get; }

    /// <summary>The same checkpoint loaded in this process.</summary>
    public TrainedPolicy InProcess { get; }

    /// <summary>Every state of the demonstrations (real observations to plan from).</summary>
    public float[][] Observations { get; }

    public int To => InProcess.Config.Policy.ObsSteps;

    public int Do => InProcess.Config.Policy.ObsDim;

    /// <summary>The window of observations i and i + 1 (To = 2), as the in-process planner takes it.</summary>
    public double[][] Window(int i) =>
        Enumerable.Range(0, To).Select(t => Observations[(i + t) % Observations.Length].Select(v => (double)v).ToArray()).ToArray();

    /// <summary>A Plan request for <see cref="Window"/>(i).</summary>
    public PlanRequest Request(int i, long? seed = null, string session = "robot-0", SamplerKind sampler = SamplerKind.Ddim, int steps = 0)
    {
        var tensor = new Protos.Planning.Tensor();
        tensor.Shape.Add(To);
        tensor.Shape.Add(Do);
        foreach (var row in Window(i)) foreach (var v in row) tensor.Values.Add((float)v);
        return new PlanRequest
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
    }

    /// <summary>Options for a loopback server on a free port over this fixture's policies, without telemetry.</summary>
    public PlanningServerOptions Options() => new()
    {
        PoliciesDirectory = PoliciesDirectory,
        Url = "http://127.0.0.1:0",
        TelemetryEndpoint = null,
        TorchThreads = 1,
    };

    /// <summary>A client channel to <paramref name="server"/>.</summary>
    public static GrpcChannel Channel(RunningPlanningServer server) => GrpcChannel.ForAddress(server.Address);

    /// <summary>A client for <paramref name="channel"/>.</summary>
    public static PlanningService.PlanningServiceClient Client(GrpcChannel channel) => new(channel);

    public void Dispose()
    {
        InProcess.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { /* a reader may still hold a file */ }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<TinyPolicyFixture>
{
    public const string Name = "planning server";
}
