using System.Text.Json;
using Google.Protobuf;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Onnx.Ir;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Robotics;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Onnx.Tests;

/// <summary>The exported file itself: the onnx package's checker, names, shapes, metadata and bad files.</summary>
[Collection(TinyCheckpointCollection.Name)]
public sealed class OnnxExportTests(TinyCheckpoint fx)
{
    [Fact]
    public void ExportedCheckpoint_PassesTheOnnxPackagesFullCheck_WithTheDocumentedInterface()
    {
        SystemPython.Require("onnx", "torch", "numpy");
        var file = fx.TempFile("checked.onnx");
        var result = PolicyOnnxExport.Export(fx.Directory, file);
        var unet = result.Config.Policy.Unet;
        using var doc = JsonDocument.Parse(SystemPython.RunPeer("diffusion_policy_unet.py", "check", file));
        var r = doc.RootElement;
        Assert.Equal(OnnxExporter.IrVersion, r.GetProperty("ir_version").GetInt64());
        Assert.Equal(OnnxExporter.Opset, r.GetProperty("opset").GetProperty("ai.onnx").GetInt32());
        string Dims(string group, string name) => string.Join(",", r.GetProperty(group).GetProperty(name).EnumerateArray()
            .Select(d => d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal($"batch,horizon,{unet.InputDim}", Dims("inputs", "sample"));
        Assert.Equal("batch", Dims("inputs", "timestep"));
        Assert.Equal($"batch,{unet.GlobalCondDim}", Dims("inputs", "global_cond"));
        Assert.Equal($"batch,horizon,{unet.InputDim}", Dims("outputs", "prediction"));
        Assert.Equal(1, r.GetProperty("input_types").GetProperty("sample").GetInt32());     // FLOAT
        Assert.Equal(7, r.GetProperty("input_types").GetProperty("timestep").GetInt32());   // INT64
        var metadata = r.GetProperty("metadata");
        Assert.Equal(OnnxMetadata.FormatValue, metadata.GetProperty(OnnxMetadata.Format).GetString());
        Assert.Equal(result.WeightsSha256, metadata.GetProperty(OnnxMetadata.WeightsSha256).GetString());
        Assert.Equal(result.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata.GetProperty(OnnxMetadata.TrainingStep).GetString());
        Assert.Equal(unet, OnnxMetadata.ConfigFromJson(metadata.GetProperty(OnnxMetadata.UnetConfig).GetString()!, "python"));
        Assert.Equal(PolicyCheckpoint.ReadConfig(fx.Directory).ToJson(), metadata.GetProperty(OnnxMetadata.PolicyConfig).GetString());
        string[] ops = ["Add", "Cast", "Concat", "Conv", "ConvTranspose", "Cos", "Div", "Exp", "Gemm", "InstanceNormalization", "Min",
            "Mul", "Reshape", "Sin", "Split", "Squeeze", "Transpose", "Unsqueeze"];
        Assert.Equal(ops, r.GetProperty("ops").EnumerateArray().Select(o => o.GetString()).ToArray());
    }

    [Fact]
    public void Export_WritesEveryWeightOnce_UnderItsReferenceName_WithItsValues()
    {
        var config = OnnxDenoiserTests.Configs("cpu-default");
        using var net = OnnxDenoiserTests.RandomNetwork(config, 21);
        var model = OnnxExporter.Build(net, null);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        using var scope = NewDisposeScope();
        var weights = DiffusionTrainer<object>.UniqueStateDict(net);
        Assert.Equal(net.ParameterCount, weights.Sum(w => w.Tensor.numel()));
        foreach (var (name, tensor) in weights)
        {
            Assert.True(initializers.TryGetValue(name, out var init), $"no initializer '{name}'");
            Assert.Equal((int)TensorProto.Types.DataType.Float, init.DataType);
            Assert.Equal(tensor.numel(), init.Dims.Aggregate(1L, (a, d) => a * d));
            Assert.Equal(tensor.contiguous().bytes.ToArray(), init.RawData.ToByteArray());
        }
        // Activations are (1, C, B, T): GroupNorm's affine becomes (C, 1, 1), 1-D kernels (.., 1, k); Linear keeps its shape.
        Assert.Equal([32L, 1L, 1L], initializers["down_modules.0.0.blocks.0.block.1.weight"].Dims);
        Assert.Equal([32L, 2L, 1L, 5L], initializers["down_modules.0.0.blocks.0.block.0.weight"].Dims);
        Assert.Equal([64L, 64L, 1L, 4L], initializers["up_modules.0.2.conv.weight"].Dims);     // ConvTranspose1d (C_in, C_out, k)
        Assert.Equal([64L, 72L], initializers["down_modules.0.0.cond_encoder.1.weight"].Dims);      // (2 C_out, dsed + G)
        Assert.Equal(OnnxExporter.Opset, model.OpsetImport.Single().Version);
    }

    [Fact]
    public void Export_RejectsMetadataThatWouldOverwriteItsOwnKeys()
    {
        using var net = OnnxDenoiserTests.RandomNetwork(OnnxDenoiserTests.Configs("narrow-two-levels"), 1);
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Export(net, [new(OnnxMetadata.WeightsSha256, "0")]));
        Assert.Contains(OnnxMetadata.WeightsSha256, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        var file = fx.TempFile("nothing-here.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => OnnxDenoiser.Load(file));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("empty")]
    public void Load_CorruptFile_SaysItIsNotALoadableModel(string kind)
    {
        var file = fx.TempFile($"{kind}.onnx");
        using var net = OnnxDenoiserTests.RandomNetwork(OnnxDenoiserTests.Configs("narrow-two-levels"), 2);
        var bytes = OnnxExporter.Export(net);
        File.WriteAllBytes(file, kind switch
        {
            "garbage" => Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray(),
            "truncated" => bytes[..(bytes.Length / 2)],
            _ => [],
        });
        var e = Assert.Throws<InvalidDataException>(() => OnnxDenoiser.Load(file));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("not a loadable ONNX model", StringComparison.Ordinal)
                    || e.Message.Contains("inputs", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Load_FileWithoutConfigMetadata_AsksForTheConfig_AndRunsWithIt()
    {
        var config = OnnxDenoiserTests.Configs("narrow-two-levels");
        using var net = OnnxDenoiserTests.RandomNetwork(config, 3);
        var model = OnnxExporter.Build(net, null);
        model.MetadataProps.Clear();
        var file = fx.TempFile("foreign.onnx");
        File.WriteAllBytes(file, model.ToByteArray());
        var e = Assert.Throws<InvalidDataException>(() => OnnxDenoiser.Load(file));
        Assert.Contains(OnnxMetadata.UnetConfig, e.Message, StringComparison.Ordinal);
        using var denoiser = OnnxDenoiser.Load(file, expectedConfig: config);
        Assert.Empty(denoiser.Metadata);
        // Without metadata the count is the float initializers: the weights plus the exporter's few constants.
        Assert.InRange(denoiser.ParameterCount, net.ParameterCount, net.ParameterCount + 1000);
    }

    [Fact]
    public void Load_MetadataThatContradictsTheGraph_NamesTheInput()
    {
        var config = OnnxDenoiserTests.Configs("narrow-two-levels");
        using var net = OnnxDenoiserTests.RandomNetwork(config, 4);
        var model = OnnxExporter.Build(net, null);
        var entry = model.MetadataProps.Single(p => p.Key == OnnxMetadata.UnetConfig);
        entry.Value = OnnxMetadata.ConfigToJson(config with { GlobalCondDim = config.GlobalCondDim + 1 });
        var file = fx.TempFile("tampered.onnx");
        File.WriteAllBytes(file, model.ToByteArray());
        var e = Assert.Throws<InvalidDataException>(() => OnnxDenoiser.Load(file));
        Assert.Contains("'global_cond'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"(batch, {config.GlobalCondDim + 1})", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithAnExpectedConfigThatDiffers_NamesBoth()
    {
        var config = OnnxDenoiserTests.Configs("narrow-two-levels");
        using var net = OnnxDenoiserTests.RandomNetwork(config, 5);
        var e = Assert.Throws<InvalidDataException>(() =>
            OnnxDenoiser.FromBytes(OnnxExporter.Export(net), "bytes", expectedConfig: config with { KernelSize = 3 }));
        Assert.Contains("KernelSize = 5", e.Message, StringComparison.Ordinal);
        Assert.Contains("KernelSize = 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_WithWrongShapes_NamesTheShape()
    {
        var config = OnnxDenoiserTests.Configs("narrow-two-levels");   // Da = 3, G = 10, horizon multiple of 2
        using var net = OnnxDenoiserTests.RandomNetwork(config, 6);
        using var onnx = OnnxDenoiser.FromNetwork(net);
        using var scope = NewDisposeScope();
        var t = tensor(3L);
        var e = Assert.Throws<ArgumentException>(() => onnx.forward(zeros(2, 8, 2), t, zeros(2, 10)));
        Assert.Equal("sample", e.ParamName);
        Assert.Contains("(2, 8, 2)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => onnx.forward(zeros(2, 7, 3), t, zeros(2, 10)));
        Assert.Contains("T=7", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => onnx.forward(zeros(2, 8, 3), t, zeros(2, 9)));
        Assert.Equal("globalCond", e.ParamName);
        Assert.Contains("(2, 9)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => onnx.forward(zeros(2, 8, 3), tensor(new long[] { 1, 2, 3 }), zeros(2, 10)));
        Assert.Equal("timesteps", e.ParamName);
        onnx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => onnx.forward(zeros(2, 8, 3), t, zeros(2, 10)));
    }

    [Fact]
    public void Save_WritesAtomically_AndReplacesAnOlderFile()
    {
        var file = fx.TempFile("atomic.onnx");
        File.WriteAllText(file, "old");
        using var net = OnnxDenoiserTests.RandomNetwork(OnnxDenoiserTests.Configs("narrow-two-levels"), 7);
        OnnxExporter.Save(net, file);
        Assert.Equal(OnnxExporter.Export(net), File.ReadAllBytes(file));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!, "*.tmp"));
        var parsed = ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
        Assert.Equal(OnnxExporter.IrVersion, parsed.IrVersion);
    }
}
