using System.CommandLine;
using ImmisciblePolicy.Cli.Benchmarks;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary><c>immiscible bench serve</c>: planning latency in-process vs gRPC, and plans/s with and without batching.</summary>
internal static class BenchServeCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint")
        {
            Description = "policy checkpoint to serve (default: a 1-step Push-T policy with the default CPU U-Net, built in a temp dir)",
        };
        var output = new Option<string>("--out") { Description = "Markdown report", DefaultValueFactory = _ => Path.Combine("docs", "benchmarks", "serve.md") };
        var seconds = new Option<double>("--seconds") { Description = "duration of each throughput cell", DefaultValueFactory = _ => 5.0 };
        var samples = new Option<int>("--samples") { Description = "plans per latency row", DefaultValueFactory = _ => 200 };
        var threads = CommonOptions.Threads();
        var engines = new Option<string>("--engines")
        {
            Description = "comma-separated planning engines to measure one after the other in this run: torch, onnx",
            DefaultValueFactory = _ => "torch,onnx",
        };
        var serve = new Command("serve", "Latency (in-process vs gRPC) and throughput at 1/8/32 clients with and without batching, per engine.")
        {
            checkpoint, output, seconds, samples, threads, engines,
        };
        serve.SetAction(async (parse, ct) =>
        {
            int n = TorchRuntime.Configure(parse.GetValue(threads));
            var started = DateTime.UtcNow;
            var temp = Directory.CreateTempSubdirectory("immiscible-bench-serve-").FullName;
            try
            {
                var policies = Path.Combine(temp, "policies");
                var dir = Path.Combine(policies, "bench");
                string source;
                if (parse.GetValue(checkpoint) is { } given)
                {
                    Directory.CreateDirectory(dir);
                    foreach (var f in Directory.GetFiles(CheckpointDirectory.Resolve(given) ?? given)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
                    source = $"checkpoint `{given}`";
                }
                else
                {
                    Console.WriteLine("Building a Push-T policy with the default U-Net (1 training step: latency does not depend on training)...");
                    var demo = DemonstrationGenerator.Generate(SimTaskKind.PushT, 2, cancellationToken: ct);
                    var config = new PolicyRunConfig { Trainer = new TrainerConfig { Steps = 1, BatchSize = 8 } };
                    PolicyTraining.Train(config, demo.Dataset, dir, cancellationToken: ct).Dispose();
                    source = "default Push-T configuration (1 training step)";
                }
                var chosen = ParseEngines(parse.GetValue(engines)!);
                // One torch load describes the policy (cameras for the engine choice, sizes for the report).
                using var policy = PolicyCheckpoint.Load(dir);
                if (policy.Cameras.Count > 0 && chosen.Remove(Policy.PolicyEngine.Onnx))
                {
                    Console.WriteLine("The onnx engine does not plan vision policies (the server answers FAILED_PRECONDITION); measuring torch only.");
                    if (chosen.Count == 0) chosen.Add(Policy.PolicyEngine.Torch);
                }
                var cfg = new ServeBenchmarkConfig(parse.GetValue(samples), parse.GetValue(seconds), TorchThreads: n);
                var latency = new List<LatencyRow>();
                var throughput = new List<ThroughputRow>();
                foreach (var engine in chosen)
                {
                    using var engined = PolicyCheckpoint.Load(dir, engine, CommonOptions.OnnxOptions(n, Onnx.OnnxDevice.Cpu));
                    var bench = new ServeBenchmark(policies, "bench", cfg with { Engine = engine },
                        m => Console.WriteLine($"[{DateTime.UtcNow - started:mm\\:ss}] {engine}: {m}"));
                    var (l, t) = await bench.RunAsync(engined, ct);
                    latency.AddRange(l);
                    throughput.AddRange(t);
                }
                var markdown = ServeBenchmark.Markdown(policy, source, cfg, latency, throughput, n, DateTime.UtcNow - started);
                var outPath = parse.GetValue(output)!;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
                await File.WriteAllTextAsync(outPath, markdown, ct);
                Console.WriteLine(markdown);
                Console.WriteLine($"Wrote {outPath}");
            }
            finally
            {
                Directory.Delete(temp, recursive: true);
            }
            return 0;
        });
        return serve;
    }

    private static List<Policy.PolicyEngine> ParseEngines(string text)
    {
        var list = new List<Policy.PolicyEngine>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<Policy.PolicyEngine>(part, ignoreCase: true, out var engine))
                throw new ArgumentException($"--engines: unknown engine '{part}'; expected torch and/or onnx, e.g. --engines torch,onnx");
            if (!list.Contains(engine)) list.Add(engine);
        }
        if (list.Count == 0) throw new ArgumentException("--engines: give at least one engine (torch, onnx)");
        return list;
    }
}
