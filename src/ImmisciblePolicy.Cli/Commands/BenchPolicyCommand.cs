using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Robotics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible bench policy</c>: training-step time of the Diffusion Policy U-Net (optionally against the same
/// network in PyTorch on this machine) and planning latency for one observation window.
/// </summary>
internal static class BenchPolicyCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var widths = new Option<string>("--widths") { Description = "U-Net widths", DefaultValueFactory = _ => "64,128,256" };
        var embed = new Option<int>("--step-embed") { Description = "step-embedding size", DefaultValueFactory = _ => 64 };
        var batch = new Option<int>("--batch-size") { Description = "training batch", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "timed training steps", DefaultValueFactory = _ => 30 };
        var plans = new Option<int>("--plans") { Description = "timed plans", DefaultValueFactory = _ => 200 };
        var torchPeer = new Option<bool>("--compare-torch") { Description = "also time the same network in PyTorch (/usr/bin/python3 with torch)" };
        var output = new Option<string>("--out") { Description = "Markdown report", DefaultValueFactory = _ => Path.Combine("docs", "benchmarks", "policy.md") };
        var threads = CommonOptions.Threads();
        var cmd = new Command("policy", "Time Diffusion Policy training steps and planning calls.") { widths, embed, batch, steps, plans, torchPeer, output, threads };
        cmd.SetAction(parse =>
        {
            int n = TorchRuntime.Configure(parse.GetValue(threads));
            var unet = new UnetConfig
            {
                DownDims = parse.GetValue(widths)!.Split(',').Select(s => int.Parse(s, Inv)).ToArray(),
                DiffusionStepEmbedDim = parse.GetValue(embed),
            };
            var cfg = new DiffusionPolicyConfig { Unet = unet };
            int b = parse.GetValue(batch);
            var md = new StringBuilder();
            md.AppendLine("# Diffusion Policy speed on CPU");
            md.AppendLine();
            md.AppendLine(Inv, $"Command: `immiscible bench policy --widths {parse.GetValue(widths)} --step-embed {unet.DiffusionStepEmbedDim} --batch-size {b} --threads {n}{(parse.GetValue(torchPeer) ? " --compare-torch" : "")}`");
            md.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} logical cores, libtorch intra-op threads {n}; obs 2 x 20, action 2, Tp = 16.");
            md.AppendLine();
            md.AppendLine("| measurement | ImmisciblePolicy (TorchSharp) | PyTorch peer |");
            md.AppendLine("|---|---|---|");

            var (trainVanilla, trainKnn, parameters) = TimeTraining(cfg, b, parse.GetValue(steps));
            string? peer = null;
            double? peerTrain = null, peerForward = null;
            if (parse.GetValue(torchPeer))
            {
                peer = RunTorchPeer(parse.GetValue(widths)!, unet.DiffusionStepEmbedDim, b, n);
                if (peer is not null)
                {
                    using var doc = JsonDocument.Parse(peer);
                    peerTrain = doc.RootElement.GetProperty("train_ms").GetDouble();
                    peerForward = doc.RootElement.GetProperty("forward_ms").GetDouble();
                }
            }
            var (forward, ddim, ddimP99, ddpm) = TimePlanning(cfg, parse.GetValue(plans));
            string P(double? v) => v is double d ? d.ToString("F2", Inv) + " ms" : "n/a";
            md.AppendLine(Inv, $"| parameters | {parameters:N0} | |");
            md.AppendLine(Inv, $"| training step, batch {b}, vanilla noise (median) | {trainVanilla:F2} ms | {P(peerTrain)} |");
            md.AppendLine(Inv, $"| training step, batch {b}, KNN k=2 noise (median) | {trainKnn:F2} ms | |");
            md.AppendLine(Inv, $"| one denoiser forward, 1 window (median) | {forward:F2} ms | {P(peerForward)} |");
            md.AppendLine(Inv, $"| plan, DDIM 10 steps, 1 window: p50 / p99 | {ddim:F2} / {ddimP99:F2} ms | |");
            md.AppendLine(Inv, $"| plan, DDPM 100 steps, 1 window: p50 | {ddpm:F2} ms | |");
            if (peer is not null) { md.AppendLine(); md.AppendLine(Inv, $"PyTorch peer output: `{peer}`"); }
            var text = md.ToString();
            Console.WriteLine(text);
            var path = parse.GetValue(output)!;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            PolicyWorkflow.AtomicWrite(path, text);
            return 0;
        });
        return cmd;
    }

    private static (double Vanilla, double Knn, long Parameters) TimeTraining(DiffusionPolicyConfig cfg, int batch, int steps)
    {
        double Run(INoiseAssigner assigner, out long parameters)
        {
            torch.manual_seed(0);
            using var net = PolicyNetworks.ConditionalUnet1D(cfg.Unet);
            parameters = net.ParameterCount;
            var policy = new DiffusionPolicy(net, new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy), assigner, cfg);
            using var opt = new OptimizerConfig().CreateAdamW(net.parameters());
            var times = new List<double>();
            using var g = new Generator(1);
            for (int i = 0; i < steps + 5; i++)
            {
                var watch = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    var obs = randn([batch, cfg.ObsSteps, cfg.ObsDim], generator: g);
                    var act = rand([batch, cfg.Horizon, cfg.ActionDim], generator: g) * 2 - 1;
                    opt.zero_grad();
                    policy.ComputeLoss(obs, act, g, i).backward();
                    opt.step();
                }
                if (i >= 5) times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        double vanilla = Run(new VanillaNoise(), out long p);
        double knn = Run(NoiseAssigners.Create(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 2 }), out _);
        return (vanilla, knn, p);
    }

    private static (double Forward, double DdimP50, double DdimP99, double DdpmP50) TimePlanning(DiffusionPolicyConfig cfg, int plans)
    {
        torch.manual_seed(0);
        var config = new PolicyRunConfig { Policy = cfg };
        var obsNorm = MinMaxNormalizer.Fit(Enumerable.Range(0, 40).Select(i => (float)i).ToArray(), cfg.ObsDim);
        var actNorm = MinMaxNormalizer.Fit([0f, 0f, 512f, 512f], cfg.ActionDim);
        using var ddim = new TrainedPolicy(config, PolicyNetworks.ConditionalUnet1D(cfg.Unet), obsNorm, actNorm, 0);
        using var ddpm = new TrainedPolicy(config with { Sampler = SamplerKind.Ddpm, InferenceSteps = 100 },
            PolicyNetworks.ConditionalUnet1D(cfg.Unet), obsNorm, actNorm, 0);
        var window = new[] { Enumerable.Range(0, cfg.ObsDim).Select(i => (double)i).ToArray(), Enumerable.Range(0, cfg.ObsDim).Select(i => i + 0.5).ToArray() };
        List<double> Time(TrainedPolicy p, int count, int? stepsOverride)
        {
            var list = new List<double>();
            for (int i = 0; i < count + 10; i++)
            {
                var w = Stopwatch.StartNew();
                p.PlanChunks([window], i, stepsOverride);
                if (i >= 10) list.Add(w.Elapsed.TotalMilliseconds);
            }
            list.Sort();
            return list;
        }
        var one = Time(ddim, plans, 1);
        var d = Time(ddim, plans, 10);
        var dd = Time(ddpm, Math.Max(10, plans / 10), 100);
        return (one[one.Count / 2], d[d.Count / 2], d[(int)(d.Count * 0.99)], dd[dd.Count / 2]);
    }

    private static string? RunTorchPeer(string widths, int embed, int batch, int threads)
    {
        var script = Path.Combine("tests", "peers", "torch_policy_bench.py");
        if (!File.Exists("/usr/bin/python3") || !File.Exists(script))
        {
            Console.WriteLine("PyTorch peer skipped: needs /usr/bin/python3 with Debian's python3-torch and tests/peers/torch_policy_bench.py (run from the repository root).");
            return null;
        }
        var psi = new ProcessStartInfo("/usr/bin/python3", $"{script} --widths {widths} --embed {embed} --batch {batch} --threads {threads}")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var proc = Process.Start(psi)!;
        var stdout = proc.StandardOutput.ReadToEnd();
        var stderr = proc.StandardError.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0)
        {
            Console.WriteLine($"PyTorch peer failed (exit {proc.ExitCode}): {stderr.Trim()}");
            return null;
        }
        return stdout.Trim();
    }
}
