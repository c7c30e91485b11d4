using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>
/// One tiny bimodal-reach policy (U-Net [16, 32], step embedding 16, 30 training steps on 4 expert episodes:
/// seconds) in a temporary policies directory, plus the same checkpoint loaded in this process as the
/// reference the network runs must reproduce.
/// </summary>
public sealed class TinyServedPolicy : IDisposable
{
    public const string PolicyId = "tiny";

    public TinyServedPolicy()
    {
        TorchRuntime.Configure(1);
        Root = Directory.CreateTempSubdirectory("immiscible-robots-tests-").FullName;
        PoliciesDirectory = Path.Combine(Root, "policies");
        var demo = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 4, firstSeed: 0);
        var config = new PolicyRunConfig
        {
            Task = SimTaskKind.Bimodal,
            Policy = new DiffusionPolicyConfig { Unet = new UnetConfig { DownDims = [16, 32], DiffusionStepEmbedDim = 16 } },
            Trainer = new TrainerConfig { Steps = 30, BatchSize = 16, CheckpointEvery = 30, LogEvery = 30, Seed = 7 },
            Sampler = SamplerKind.Ddim,
            InferenceSteps = 8,
        };
        var checkpoint = Path.Combine(PoliciesDirectory, PolicyId);
        PolicyTraining.Train(config, demo.Dataset, checkpoint).Dispose();
        InProcess = PolicyCheckpoint.Load(checkpoint);
    }

    /// <summary>Temporary root, deleted on dispose.</summary>
    public string Root { get; }

    /// <summary>Holds the <see cref="PolicyId"/> checkpoint.</summary>
    public string PoliciesDirectory { get; }

    /// <summary>The checkpoint loaded in this process.</summary>
    public TrainedPolicy InProcess { get; }

    /// <summary>A loopback server (port 0 = free) over the policies directory.</summary>
    public PlanningServerOptions Options(int port = 0, string? telemetry = null, string? telemetryIn = null) => new()
    {
        PoliciesDirectory = PoliciesDirectory,
        Url = $"http://127.0.0.1:{port}",
        TelemetryEndpoint = telemetry,
        TelemetryInEndpoint = telemetryIn,
        TorchThreads = 1,
    };

    public void Dispose()
    {
        InProcess.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { /* best effort */ }
    }
}

[CollectionDefinition(Name)]
public sealed class ServedPolicyCollection : ICollectionFixture<TinyServedPolicy>
{
    public const string Name = "served tiny policy";
}
