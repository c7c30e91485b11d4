using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Onnx;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Robotics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible export onnx</c>: writes a checkpoint's denoiser (EMA weights) as a self-describing ONNX file
/// (opset 17; metadata: config, normalisers, step, weights hash; docs/onnx.md), then runs the file in ONNX Runtime
/// and compares it with the TorchSharp network on random inputs.
/// </summary>
internal static class ExportCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var export = new Command("export", "Export a trained policy for other runtimes.");
        export.Subcommands.Add(CreateOnnx());
        return export;
    }

    private static Command CreateOnnx()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "policy checkpoint directory", Required = true };
        var output = new Option<string?>("--out") { Description = $"the .onnx file (default: <checkpoint>/{PolicyOnnxExport.DefaultFileName})" };
        var noVerify = new Option<bool>("--no-verify") { Description = "skip running the file in ONNX Runtime against TorchSharp" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("onnx", "Write the policy's denoiser as an ONNX model (no Python needed).") { checkpoint, output, noVerify, threads };
        cmd.SetAction(parse =>
        {
            TorchRuntime.Configure(parse.GetValue(threads));
            var dir = parse.GetValue(checkpoint)!;
            var watch = Stopwatch.StartNew();
            var result = PolicyOnnxExport.Export(dir, parse.GetValue(output));
            var unet = result.Config.Policy.Unet;
            Console.WriteLine($"wrote {result.Path} ({result.Bytes / 1024.0 / 1024.0:F1} MiB, {result.ParameterCount:N0} parameters, step {result.Step}) in {watch.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"  opset {OnnxExporter.Opset}, IR {OnnxExporter.IrVersion}; inputs sample (batch, horizon, {unet.InputDim}) float32, " +
                              $"timestep (batch) int64, global_cond (batch, {unet.GlobalCondDim}) float32; output prediction (batch, horizon, {unet.InputDim})");
            Console.WriteLine($"  weights sha256 {result.WeightsSha256}");
            if (!parse.GetValue(noVerify)) Verify(dir, result);
            return 0;
        });
        return cmd;
    }

    /// <summary>Runs the written file and the TorchSharp network on the same random inputs and prints the difference.</summary>
    private static void Verify(string dir, PolicyOnnxExport.Result result)
    {
        using var torchPolicy = PolicyCheckpoint.Load(dir, PolicyEngine.Torch);
        using var onnxPolicy = PolicyCheckpoint.Load(dir, PolicyEngine.Onnx, new OnnxEngineOptions { ModelPath = result.Path });
        var p = result.Config.Policy;
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var g = new Generator(0);
        double worst = 0;
        foreach (int batch in new[] { 1, 8 })
        {
            var sample = randn([batch, p.Horizon, p.ActionDim], generator: g);
            var cond = randn([batch, p.ObsSteps * p.ObsDim], generator: g);
            var t = randint(0, result.Config.Schedule.NumTrainTimesteps, [batch], dtype: int64, generator: g);
            var diff = (torchPolicy.Network.forward(sample, t, cond) - onnxPolicy.Network.forward(sample, t, cond)).abs().max().item<float>();
            worst = Math.Max(worst, diff);
        }
        Console.WriteLine(string.Create(Inv, $"  verified in ONNX Runtime: max |TorchSharp - ONNX| = {worst:E2} on random inputs (batch 1 and 8)"));
        if (worst > 1e-4)
            throw new InvalidOperationException(string.Create(Inv, $"the exported file disagrees with the TorchSharp network by {worst:E2}"));
    }
}
