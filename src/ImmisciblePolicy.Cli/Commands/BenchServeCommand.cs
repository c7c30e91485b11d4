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
        var serve = new Command("serve", "Latency (in-process vs gRPC) and throughput at 1/8/32 clients with and without batching.")
        {
            checkpoint, output, seconds, samples, threads,
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
                using var policy = PolicyCheckpoint.Load(dir);
                var cfg = new ServeBenchmarkConfig(parse.GetValue(samples), parse.GetValue(seconds), TorchThreads: n);
                var bench = new ServeBenchmark(policies, "bench", cfg, m => Console.WriteLine($"[{DateTime.UtcNow - started:mm\\:ss}] {m}"));
                var (latency, throughput) = await bench.RunAsync(policy, ct);
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
}
