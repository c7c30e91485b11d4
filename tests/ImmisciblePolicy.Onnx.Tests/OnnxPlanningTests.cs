using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Robotics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Onnx.Tests;

/// <summary>
/// Whole plans through both engines: the sampling loop, scheduler, seeds and normalisers are shared, so a seed
/// gives the same initial noise and the same plan up to the denoiser's float rounding.
/// </summary>
[Collection(TinyCheckpointCollection.Name)]
public sealed class OnnxPlanningTests(TinyCheckpoint fx)
{
    [Theory]
    [InlineData(SamplerKind.Ddim, 10, 1)]
    [InlineData(SamplerKind.Ddim, 10, 32)]
    [InlineData(SamplerKind.Ddpm, 100, 1)]
    [InlineData(SamplerKind.Ddpm, 100, 32)]
    public void FullPlan_ThroughBothEngines_WithTheSameSeed_AgreesTo1e4(SamplerKind sampler, int steps, int batch)
    {
        using var torchPolicy = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Torch);
        using var onnxDenoiser = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx);
        // A second planner over each denoiser with the requested sampler, as the server builds one per sampler.
        var config = torchPolicy.Config with { Sampler = sampler, InferenceSteps = steps };
        var torchPlanner = new TrainedPolicy(config, torchPolicy.Network, torchPolicy.ObservationNormalizer, torchPolicy.ActionNormalizer, torchPolicy.Step);
        var onnxPlanner = new TrainedPolicy(config, onnxDenoiser.Network, onnxDenoiser.ObservationNormalizer, onnxDenoiser.ActionNormalizer, onnxDenoiser.Step);
        Assert.Equal(PolicyEngine.Torch, torchPlanner.Engine);
        Assert.Equal(PolicyEngine.Onnx, onnxPlanner.Engine);

        var windows = TinyCheckpoint.Windows(batch);
        var (_, expected) = torchPlanner.PlanChunks(windows, seed: 11, inferenceSteps: null);
        var (_, actual) = onnxPlanner.PlanChunks(windows, seed: 11, inferenceSteps: null);
        // Compare in the normalised action space the sampler works in ([-1, 1]).
        float[] Normalised(double[][][] chunks) =>
            torchPolicy.ActionNormalizer.Normalize(chunks.SelectMany(c => c.SelectMany(a => a.Select(v => (float)v))).ToArray());
        var e = Normalised(expected);
        var a = Normalised(actual);
        double max = e.Zip(a, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(max <= 1e-4, $"{sampler}-{steps}, B={batch}: max |torch - onnx| = {max:E2} in normalised units");
        // The plans are not trivially equal: another seed moves them by far more than the tolerance.
        var (_, reseeded) = onnxPlanner.PlanChunks(windows, seed: 12, inferenceSteps: null);
        Assert.True(Normalised(reseeded).Zip(a, (x, y) => Math.Abs(x - y)).Max() > 1e-2);
    }

    [Fact]
    public void PredictActionChunk_SameGeneratorSeed_SameInitialNoise_InBothEngines()
    {
        // At the DiffusionPolicy level: one DDIM step from a given a_T, both engines, and the seed's draw is the same.
        using var torchPolicy = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Torch);
        using var onnxPolicy = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx);
        var cfg = torchPolicy.Config;
        var scheduler = new DdimScheduler(cfg.EffectiveSchedule);
        var a = new DiffusionPolicy(torchPolicy.Network, scheduler, new VanillaNoise(), cfg.Policy);
        var b = new DiffusionPolicy(onnxPolicy.Network, scheduler, new VanillaNoise(), cfg.Policy);
        using var scope = NewDisposeScope();
        var obs = rand(4, cfg.Policy.ObsSteps, cfg.Policy.ObsDim) * 2 - 1;
        var ta = a.PredictActionChunk(obs, 10, new Generator(5)).Chunk;
        var tb = b.PredictActionChunk(obs, 10, new Generator(5)).Chunk;
        Assert.True((ta - tb).abs().max().item<float>() <= 1e-4f);
        var noise = randn([4, cfg.Policy.Horizon, cfg.Policy.ActionDim], generator: new Generator(9));
        var fromNoise = b.PredictActionChunk(obs, 10, null, noise).Chunk;
        Assert.True((a.PredictActionChunk(obs, 10, null, noise).Chunk - fromNoise).abs().max().item<float>() <= 1e-4f);
    }

    [Fact]
    public void OnnxPolicy_CannotTrain_AndSaysWhy()
    {
        using var onnxPolicy = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx);
        var cfg = onnxPolicy.Config;
        var policy = new DiffusionPolicy(onnxPolicy.Network, new DdpmScheduler(cfg.EffectiveSchedule), new VanillaNoise(), cfg.Policy);
        var e = Assert.Throws<InvalidOperationException>(() => policy.Model);
        Assert.Contains("Onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithAnExportedFile_PlansExactlyLikeTheInMemoryExport()
    {
        var file = fx.TempFile("denoiser.onnx");
        var result = PolicyOnnxExport.Export(fx.Directory, file);
        Assert.Equal(file, result.Path);
        Assert.True(result.Bytes > 4 * result.ParameterCount, $"{result.Bytes} bytes for {result.ParameterCount} float32 weights");
        using var inMemory = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx);
        using var fromFile = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx, new OnnxEngineOptions { ModelPath = file });
        var windows = TinyCheckpoint.Windows(3);
        Assert.Equal(inMemory.PlanChunks(windows, 4, null).Chunks, fromFile.PlanChunks(windows, 4, null).Chunks);
        var denoiser = Assert.IsType<OnnxDenoiser>(fromFile.Network);
        Assert.Equal(file, denoiser.Source);
        Assert.Equal(result.WeightsSha256, denoiser.Metadata[OnnxMetadata.WeightsSha256]);
        Assert.Equal(fromFile.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), denoiser.Metadata[OnnxMetadata.TrainingStep]);
        Assert.Equal(PolicyCheckpoint.ReadConfig(fx.Directory).ToJson(), denoiser.Metadata[OnnxMetadata.PolicyConfig]);
        Assert.Equal(fromFile.ActionNormalizer.ToJson(), denoiser.Metadata[OnnxMetadata.ActionNormalizer]);
        Assert.Equal(fromFile.ObservationNormalizer.ToJson(), denoiser.Metadata[OnnxMetadata.ObsNormalizer]);
    }

    [Fact]
    public void Load_WithAFileFromAnotherCheckpoint_NamesTheWeightsMismatch()
    {
        var file = fx.TempFile("other.onnx");
        PolicyOnnxExport.Export(fx.OtherDirectory, file);
        var e = Assert.Throws<InvalidDataException>(() =>
            PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx, new OnnxEngineOptions { ModelPath = file }));
        Assert.Contains("other weights", e.Message, StringComparison.Ordinal);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithAFileForAnotherNetwork_NamesTheConfigMismatch()
    {
        var file = fx.TempFile("wider.onnx");
        var config = PolicyCheckpoint.ReadConfig(fx.Directory).Policy.Unet;
        using (var wider = Policy.Networks.PolicyNetworks.ConditionalUnet1D(config with { DownDims = [16, 48] }))
            OnnxExporter.Save(wider, file);
        var e = Assert.Throws<InvalidDataException>(() =>
            PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx, new OnnxEngineOptions { ModelPath = file }));
        Assert.Contains(OnnxMetadata.UnetConfig, e.Message, StringComparison.Ordinal);
        Assert.Contains("DownDims = [16, 48]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithAMissingModelFile_NamesThePath()
    {
        var file = fx.TempFile("missing.onnx");
        var e = Assert.Throws<FileNotFoundException>(() =>
            PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx, new OnnxEngineOptions { ModelPath = file }));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OnCuda_WithTheCpuPackage_SaysWhichPackageToUse()
    {
        // The CPU build of ONNX Runtime has no CUDA provider: the CUDA path exists but needs the GPU package.
        var e = Assert.Throws<NotSupportedException>(() =>
            PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx, new OnnxEngineOptions { Device = OnnxDevice.Cuda }));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithInvalidOptions_NamesTheSetting()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx, new OnnxEngineOptions { IntraOpThreads = 0 }));
        Assert.Contains(nameof(OnnxEngineOptions.IntraOpThreads), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnnxPlans_KeepTheLiveTensorCountFlat()
    {
        using var policy = PolicyCheckpoint.Load(fx.Directory, PolicyEngine.Onnx);
        var windows = TinyCheckpoint.Windows(5);
        policy.PlanChunks(windows, 0, 3);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int call = 0; call < 200; call++) policy.PlanChunks(windows, call, 3);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
