using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Onnx;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Robotics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible bench policy</c>: training-step time of the Diffusion Policy U-Net (optionally against the same
/// network in PyTorch on this machine), and denoiser-forward and planning latency with both planning engines
/// (TorchSharp and ONNX Runtime, same weights, same thread count) at batch 1 and 32.
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
            md.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} logical cores, libtorch intra-op threads {n}, ONNX Runtime intra-op threads {n}; obs 2 x 20, action 2, Tp = 16.");
            md.AppendLine(Inv, $"Load average (1/5/15 min) at start: {LoadAverage()}");
            md.AppendLine();
            md.AppendLine("| measurement | TorchSharp | ONNX Runtime | ONNX / Torch | PyTorch peer |");
            md.AppendLine("|---|---|---|---|---|");

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
            var planning = TimePlanning(cfg, parse.GetValue(plans), n);
            string P(double? v) => v is double d ? d.ToString("F2", Inv) + " ms" : "n/a";
            string Ratio(double torchMs, double onnxMs) => (onnxMs / torchMs).ToString("F2", Inv) + "x";
            md.AppendLine(Inv, $"| parameters | {parameters:N0} | same weights | | |");
            md.AppendLine(Inv, $"| training step, batch {b}, vanilla noise (median) | {trainVanilla:F2} ms | (trains in TorchSharp only) | | {P(peerTrain)} |");
            md.AppendLine(Inv, $"| training step, batch {b}, KNN k=2 noise (median) | {trainKnn:F2} ms | | | |");
            foreach (var row in planning)
            {
                string peerCell = row.Label == "one denoiser forward, batch 1 (median)" ? P(peerForward) : "";
                md.AppendLine(Inv, $"| {row.Label} | {row.Torch} | {row.Onnx} | {Ratio(row.TorchP50, row.OnnxP50)} | {peerCell} |");
            }
            md.AppendLine();
            md.AppendLine(Inv, $"Load average (1/5/15 min) at end: {LoadAverage()}");
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

    /// <summary>One row of the engine table: the p50 of each engine and the cells as printed.</summary>
    private sealed record EngineRow(string Label, double TorchP50, double OnnxP50, string Torch, string Onnx);

    /// <summary>
    /// Times both engines on the same randomly initialised network (latency does not depend on the weights):
    /// denoiser forwards and whole plans at batch 1 and 32, the two engines alternating call by call so both see
    /// the same machine load.
    /// </summary>
    private static List<EngineRow> TimePlanning(DiffusionPolicyConfig cfg, int plans, int threads)
    {
        torch.manual_seed(0);
        var config = new PolicyRunConfig { Policy = cfg };
        var obsNorm = MinMaxNormalizer.Fit(Enumerable.Range(0, 40).Select(i => (float)i).ToArray(), cfg.ObsDim);
        var actNorm = MinMaxNormalizer.Fit([0f, 0f, 512f, 512f], cfg.ActionDim);
        var network = PolicyNetworks.ConditionalUnet1D(cfg.Unet);
        var onnx = OnnxDenoiser.FromNetwork(network, new OnnxEngineOptions { IntraOpThreads = threads });
        using var torchDdim = new TrainedPolicy(config, network, obsNorm, actNorm, 0);
        using var onnxDdim = new TrainedPolicy(config, onnx, obsNorm, actNorm, 0);
        var ddpmConfig = config with { Sampler = SamplerKind.Ddpm, InferenceSteps = 100 };
        var torchDdpm = new TrainedPolicy(ddpmConfig, network, obsNorm, actNorm, 0);   // shares (does not own) the denoiser
        var onnxDdpm = new TrainedPolicy(ddpmConfig, onnx, obsNorm, actNorm, 0);
        var rows = new List<EngineRow>();

        // Denoiser forward: the network alone, as the sampling loop calls it.
        foreach (int batch in new[] { 1, 32 })
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var g = new Generator(1);
            var sample = randn([batch, cfg.Horizon, cfg.ActionDim], generator: g);
            var cond = randn([batch, cfg.ObsSteps * cfg.ObsDim], generator: g);
            var t = tensor(50L);
            int count = batch == 1 ? plans * 2 : plans / 2;
            var (tt, oo) = Alternate(count, () => Forward(network), () => Forward(onnx));
            rows.Add(Row($"one denoiser forward, batch {batch} (median)", tt, oo, p99: false));

            void Forward(Policy.Networks.IDenoiser d)
            {
                using var s = NewDisposeScope();
                d.forward(sample, t, cond);
            }
        }

        // Whole plans: normalisation, initial noise, 10 DDIM steps (100 DDPM steps), unnormalisation.
        var window = new[] { Enumerable.Range(0, cfg.ObsDim).Select(i => (double)i).ToArray(), Enumerable.Range(0, cfg.ObsDim).Select(i => i + 0.5).ToArray() };
        foreach (int batch in new[] { 1, 32 })
        {
            var windows = Enumerable.Repeat(window, batch).ToArray();
            int count = batch == 1 ? plans : Math.Max(10, plans / 8);
            int seed = 0;
            var (tt, oo) = Alternate(count, () => torchDdim.PlanChunks(windows, seed++, 10), () => onnxDdim.PlanChunks(windows, seed++, 10));
            rows.Add(Row($"plan, DDIM 10 steps, batch {batch}: p50 / p99", tt, oo, p99: true));
        }
        {
            int seed = 0;
            var (tt, oo) = Alternate(Math.Max(10, plans / 10), () => torchDdpm.PlanChunks([window], seed++, 100), () => onnxDdpm.PlanChunks([window], seed++, 100));
            rows.Add(Row("plan, DDPM 100 steps, batch 1: p50", tt, oo, p99: false));
        }
        return rows;
    }

    /// <summary>Calls a and b alternately, 10 warm-up rounds then <paramref name="count"/> timed rounds; sorted times in ms.</summary>
    private static (List<double> A, List<double> B) Alternate(int count, Action a, Action b)
    {
        var ta = new List<double>();
        var tb = new List<double>();
        for (int i = 0; i < count + 10; i++)
        {
            long start = Stopwatch.GetTimestamp();
            a();
            double msA = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            b();
            double msB = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (i < 10) continue;
            ta.Add(msA);
            tb.Add(msB);
        }
        ta.Sort();
        tb.Sort();
        return (ta, tb);
    }

    private static EngineRow Row(string label, List<double> torchMs, List<double> onnxMs, bool p99)
    {
        static double P(List<double> s, double q) => s[Math.Min(s.Count - 1, (int)(s.Count * q))];
        string Cell(List<double> s) => p99 ? $"{P(s, 0.5).ToString("F2", Inv)} / {P(s, 0.99).ToString("F2", Inv)} ms" : $"{P(s, 0.5).ToString("F2", Inv)} ms";
        return new EngineRow(label, P(torchMs, 0.5), P(onnxMs, 0.5), Cell(torchMs), Cell(onnxMs));
    }

    private static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} / {parts[1]} / {parts[2]}";
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
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
