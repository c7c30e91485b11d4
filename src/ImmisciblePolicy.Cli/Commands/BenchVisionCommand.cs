using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
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
/// <c>immiscible bench vision</c>: training-step time and planning latency of the vision policy (camera encoder +
/// U-Net) for the CPU recipe and LeRobot's published encoder, wall clock and this process's CPU time (the CPU time
/// is the figure that survives a shared machine).
/// </summary>
internal static class BenchVisionCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var batch = new Option<int>("--batch-size") { Description = "training batch", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "timed training steps per recipe", DefaultValueFactory = _ => 10 };
        var plans = new Option<int>("--plans") { Description = "timed plans per recipe", DefaultValueFactory = _ => 20 };
        var recipes = new Option<string>("--recipes") { Description = "comma-separated: cpu, published", DefaultValueFactory = _ => "cpu,published" };
        var output = new Option<string>("--out") { Description = "Markdown report", DefaultValueFactory = _ => Path.Combine("docs", "benchmarks", "vision.md") };
        var threads = CommonOptions.Threads();
        var cmd = new Command("vision", "Time vision Diffusion Policy training steps and plans (CPU recipe and published encoder).")
        {
            batch, steps, plans, recipes, output, threads,
        };
        cmd.SetAction(parse =>
        {
            int n = TorchRuntime.Configure(parse.GetValue(threads));
            int b = parse.GetValue(batch);
            var md = new StringBuilder();
            md.AppendLine("# Vision Diffusion Policy speed on CPU");
            md.AppendLine();
            md.AppendLine(Inv, $"Command: `immiscible bench vision --batch-size {b} --steps {parse.GetValue(steps)} --plans {parse.GetValue(plans)} --recipes {parse.GetValue(recipes)} --threads {n}`");
            md.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} logical cores, libtorch threads {n}, load average at start {LoadAverage()}.");
            md.AppendLine("U-Net widths 32/64/128, step embedding 32, To = 2, Tp = 16, one camera, KNN k = 2 noise; plans are DDIM 10 steps for one window.");
            md.AppendLine();
            md.AppendLine("| recipe | frames -> crop | encoder params | total params | train step wall (median) | train step CPU (mean) | plan wall p50 / p99 |");
            md.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var name in parse.GetValue(recipes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (encoder, size) = TrainCommand.VisionRecipe(name);
                var vision = new VisionConfig { StateDim = 2, Cameras = [PixelObservations.Camera(size)], Encoder = encoder };
                var cfg = new DiffusionPolicyConfig
                {
                    ObsDim = vision.FeatureDim, Vision = vision,
                    Unet = new UnetConfig { GlobalCondDim = 2 * vision.FeatureDim, DownDims = [32, 64, 128], DiffusionStepEmbedDim = 32 },
                };
                Console.WriteLine($"timing {name} ...");
                var (wall, cpu, encoderParams, total) = TimeTraining(cfg, b, parse.GetValue(steps));
                var (p50, p99) = TimePlanning(cfg, parse.GetValue(plans));
                md.AppendLine(Inv, $"| {name} | {size} -> {encoder.CropHeight} | {encoderParams:N0} | {total:N0} | {wall:F0} ms | {cpu:F0} ms | {p50:F1} / {p99:F1} ms |");
            }
            md.AppendLine();
            md.AppendLine(Inv, $"Load average at the end {LoadAverage()}.");
            var text = md.ToString();
            Console.WriteLine(text);
            var path = parse.GetValue(output)!;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            PolicyWorkflow.AtomicWrite(path, text);
            return 0;
        });
        return cmd;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static (double Wall, double Cpu, long EncoderParams, long Total) TimeTraining(DiffusionPolicyConfig cfg, int batch, int steps)
    {
        torch.manual_seed(0);
        using var net = PolicyNetworks.VisionDenoiser(cfg);
        net.train();
        var policy = new DiffusionPolicy(net.Unet, new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy),
            NoiseAssigners.Create(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 2 }), cfg);
        using var opt = new OptimizerConfig().CreateAdamW(net.parameters());
        var camera = cfg.Vision!.Cameras[0];
        var pixels = new byte[batch * cfg.ObsSteps * camera.FrameBytes];
        new Random(1).NextBytes(pixels);
        var times = new List<double>();
        double cpu = 0;
        using var g = new Generator(1);
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < steps + 2; i++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                var state = randn([batch, cfg.ObsSteps, 2], generator: g);
                var frames = cfg.Vision.Normalizer.Normalize(pixels, batch * cfg.ObsSteps, camera.Height, camera.Width, camera.Channels)
                    .reshape(batch, cfg.ObsSteps, camera.Channels, camera.Height, camera.Width);
                var act = rand([batch, cfg.Horizon, cfg.ActionDim], generator: g) * 2 - 1;
                opt.zero_grad();
                policy.ComputeLoss(net.EncodeObservations(state, [frames], g), act, g, i).backward();
                opt.step();
            }
            process.Refresh();
            if (i >= 2)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
                cpu += (process.TotalProcessorTime - cpu0).TotalMilliseconds;
            }
        }
        times.Sort();
        return (times[times.Count / 2], cpu / steps, net.Encoders.Sum(e => e.parameters().Sum(p => p.numel())), net.ParameterCount);
    }

    private static (double P50, double P99) TimePlanning(DiffusionPolicyConfig cfg, int plans)
    {
        torch.manual_seed(0);
        var config = new PolicyRunConfig { Policy = cfg };
        var obsNorm = MinMaxNormalizer.Fit([0f, 0f, 512f, 512f], 2);
        var actNorm = MinMaxNormalizer.Fit([0f, 0f, 512f, 512f], 2);
        using var policy = new TrainedPolicy(config, PolicyNetworks.VisionDenoiser(cfg), obsNorm, actNorm, 0);
        var env = SimTasks.Create(SimTaskKind.PushT);
        env.Reset(100_000);
        var obs = PixelObservations.Observe(env, policy.Cameras);
        var window = new ObservationWindow([obs, obs]);
        var list = new List<double>();
        for (int i = 0; i < plans + 3; i++)
        {
            var w = Stopwatch.StartNew();
            policy.PlanChunks([window], i, null);
            if (i >= 3) list.Add(w.Elapsed.TotalMilliseconds);
        }
        list.Sort();
        return (list[list.Count / 2], list[Math.Min(list.Count - 1, (int)(list.Count * 0.99))]);
    }
}
