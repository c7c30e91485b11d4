using System.CommandLine;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Runtime;
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
/// <c>immiscible bench native</c>: what native safety costs: training-step time through the real trainer and
/// planning latency (batch 1, DDIM-10) on one thread and from two threads at once, with the garbage collections
/// and the time they keep every managed thread suspended for GCs. <c>--no-gc-region</c> wraps every step and plan in a process-wide no-GC region,
/// the guard used before the Scalar lifetimes were fixed (docs/design.md "Native safety"), for an A/B under the
/// same load. <c>immiscible bench gc-stress</c>: the <see cref="GcStress"/> run (training and planning while
/// another thread forces collections).
/// </summary>
internal static class BenchNativeCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command CreateCost()
    {
        var widths = new Option<string>("--widths") { Description = "U-Net widths", DefaultValueFactory = _ => "32,64,128" };
        var embed = new Option<int>("--step-embed") { Description = "step-embedding size", DefaultValueFactory = _ => 32 };
        var batch = new Option<int>("--batch-size") { Description = "training batch", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "timed training steps", DefaultValueFactory = _ => 100 };
        var plans = new Option<int>("--plans") { Description = "timed plans per thread", DefaultValueFactory = _ => 500 };
        var region = new Option<bool>("--no-gc-region") { Description = "wrap every step and plan in a process-wide no-GC region (the old guard)" };
        var output = new Option<string>("--out") { Description = "Markdown report", DefaultValueFactory = _ => Path.Combine("runs", "bench-native.md") };
        var threads = CommonOptions.Threads();
        var cmd = new Command("native", "Time training steps and plans (1 and 2 planning threads) with their GC cost.")
        {
            widths, embed, batch, steps, plans, region, output, threads,
        };
        cmd.SetAction(parse =>
        {
            int n = TorchRuntime.Configure(parse.GetValue(threads));
            var unet = new UnetConfig
            {
                DownDims = parse.GetValue(widths)!.Split(',').Select(s => int.Parse(s, Inv)).ToArray(),
                DiffusionStepEmbedDim = parse.GetValue(embed),
            };
            var cfg = new DiffusionPolicyConfig { Unet = unet };
            bool guard = parse.GetValue(region);
            string load = LoadAverage();
            var train = TimeTraining(cfg, parse.GetValue(batch), parse.GetValue(steps), guard);
            var single = TimePlanning(cfg, parse.GetValue(plans), 1, guard, n);
            var pair = TimePlanning(cfg, parse.GetValue(plans), 2, guard, n);
            string loadAfter = LoadAverage();

            var md = new StringBuilder();
            md.AppendLine(Inv, $"Command: `immiscible bench native --widths {parse.GetValue(widths)} --step-embed {unet.DiffusionStepEmbedDim} --batch-size {parse.GetValue(batch)} --steps {parse.GetValue(steps)} --plans {parse.GetValue(plans)} --threads {n}{(guard ? " --no-gc-region" : "")}`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average before {load}, after {loadAfter}, GC {(GCSettings.IsServerGC ? "server" : "workstation")}{(GCSettings.LatencyMode == GCLatencyMode.SustainedLowLatency ? " (sustained low latency)" : "")}.");
            md.AppendLine();
            md.AppendLine("| measurement | p50 ms | p99 ms | GCs per call | all threads suspended per call, ms |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            md.AppendLine(Inv, $"| training step, batch {parse.GetValue(batch)}, KNN k=2, AdamW + EMA | {train.P50:F2} | {train.P99:F2} | {train.GcsPerCall:F2} | {train.SuspendedPerCallMs:F3} |");
            md.AppendLine(Inv, $"| plan, batch 1, DDIM-10, 1 thread | {single.P50:F2} | {single.P99:F2} | {single.GcsPerCall:F2} | {single.SuspendedPerCallMs:F3} |");
            md.AppendLine(Inv, $"| plan, batch 1, DDIM-10, 2 threads at once (2 policies) | {pair.P50:F2} | {pair.P99:F2} | {pair.GcsPerCall:F2} | {pair.SuspendedPerCallMs:F3} |");
            var text = md.ToString();
            Console.WriteLine(text);
            var path = parse.GetValue(output)!;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            PolicyWorkflow.AtomicWrite(path, text);
            return 0;
        });
        return cmd;
    }

    public static Command CreateStress()
    {
        var steps = new Option<int>("--steps") { Description = "training steps", DefaultValueFactory = _ => 2000 };
        var plans = new Option<int>("--plans") { Description = "plans", DefaultValueFactory = _ => 10000 };
        var control = new Option<bool>("--no-collector") { Description = "the same workload without the collector thread (a control)" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("gc-stress", "Train and plan a tiny policy while another thread forces full garbage collections; counts native errors.")
        {
            steps, plans, control, threads,
        };
        cmd.SetAction(parse =>
        {
            int n = TorchRuntime.Configure(parse.GetValue(threads));
            string load = LoadAverage();
            var options = new GcStressOptions
            {
                TrainingSteps = parse.GetValue(steps), Plans = parse.GetValue(plans), ForceCollections = !parse.GetValue(control),
            };
            var result = GcStress.Run(options, Console.WriteLine);
            Console.WriteLine(string.Create(Inv,
                $"gc-stress: {result.TrainingSteps} training steps in {result.TrainingSeconds:F1} s, {result.Plans} plans in {result.PlanningSeconds:F1} s, " +
                $"{result.ForcedCollections} forced collections, {result.NativeErrors.Count} native errors; threads {n}; load average before {load}, after {LoadAverage()}"));
            foreach (var e in result.NativeErrors.Take(20)) Console.WriteLine("  " + e);
            return result.NativeErrors.Count == 0 ? 0 : 1;
        });
        return cmd;
    }

    private sealed record Timing(double P50, double P99, double GcsPerCall, double SuspendedPerCallMs);

    private static Timing Summarise(List<double> times, int gcs, double suspendedMs)
    {
        times.Sort();
        return new Timing(times[times.Count / 2], times[Math.Min(times.Count - 1, (int)(times.Count * 0.99))],
            (double)gcs / times.Count, suspendedMs / times.Count);
    }

    /// <summary>
    /// Sums the time the runtime keeps every managed thread suspended for garbage collections (GCSuspendEEBegin to
    /// GCRestartEEEnd of the runtime's GC events), the pause a gRPC thread feels. GC.GetTotalPauseDuration does not count
    /// the collection that starts a no-GC region, so it cannot compare the old guard with its absence.
    /// </summary>
    private sealed class SuspensionListener : EventListener
    {
        private const int RestartEndId = 3, SuspendBeginId = 9;
        private readonly object _gate = new();
        private DateTime? _begin;
        private double _totalMs;

        public double TotalMs { get { lock (_gate) return _totalMs; } }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Informational, (EventKeywords)0x1); // GC keyword
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            lock (_gate)
            {
                if (e.EventId == SuspendBeginId) _begin = e.TimeStamp;
                else if (e.EventId == RestartEndId && _begin is DateTime begin)
                {
                    _totalMs += (e.TimeStamp - begin).TotalMilliseconds;
                    _begin = null;
                }
            }
        }
    }

    private static Timing TimeTraining(DiffusionPolicyConfig cfg, int batch, int steps, bool guard)
    {
        torch.manual_seed(0);
        using var net = PolicyNetworks.ConditionalUnet1D(cfg.Unet);
        using var ema = PolicyNetworks.ConditionalUnet1D(cfg.Unet);
        var policy = new DiffusionPolicy(net, new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy),
            NoiseAssigners.Create(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 2 }), cfg);
        var trainer = new DiffusionTrainer<int>(new TrainerConfig { Steps = steps + 10, BatchSize = batch, CheckpointEvery = 0, LogEvery = 1000 },
            net, ema, (_, _, g, step) =>
            {
                var obs = randn([batch, cfg.ObsSteps, cfg.ObsDim], generator: g); // (B, To, Do)
                var act = rand([batch, cfg.Horizon, cfg.ActionDim], generator: g); // (B, Tp, Da) in [0, 1)
                return policy.ComputeLoss(obs, act, g, step);
            }, (step, _) => (int)step);
        using (trainer)
        {
            for (int i = 0; i < 10; i++) trainer.Run(untilStep: i + 1);
            var times = new List<double>();
            using var listener = new SuspensionListener();
            int gc0 = GC.CollectionCount(0);
            for (int i = 10; i < steps + 10; i++)
            {
                var w = Stopwatch.StartNew();
                using (LegacyGuard.Enter(guard)) trainer.Run(untilStep: i + 1);
                times.Add(w.Elapsed.TotalMilliseconds);
            }
            return Summarise(times, GC.CollectionCount(0) - gc0, listener.TotalMs);
        }
    }

    private static Timing TimePlanning(DiffusionPolicyConfig cfg, int plans, int threads, bool guard, int torchThreads)
    {
        torch.manual_seed(0);
        var config = new PolicyRunConfig { Policy = cfg, Sampler = SamplerKind.Ddim, InferenceSteps = 10 };
        var obsNorm = MinMaxNormalizer.Fit(Enumerable.Range(0, 40).Select(i => (float)i).ToArray(), cfg.ObsDim);
        var actNorm = MinMaxNormalizer.Fit([0f, 0f, 512f, 512f], cfg.ActionDim);
        var policies = Enumerable.Range(0, threads)
            .Select(_ => new TrainedPolicy(config, PolicyNetworks.ConditionalUnet1D(cfg.Unet), obsNorm, actNorm, 0)).ToArray();
        var window = new[] { Enumerable.Range(0, cfg.ObsDim).Select(i => (double)i).ToArray(), Enumerable.Range(0, cfg.ObsDim).Select(i => i + 0.5).ToArray() };
        var times = new List<double>[threads];
        using var start = new Barrier(threads);
        int gc0 = 0;
        double suspended0 = 0;
        using var listener = new SuspensionListener();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            // libtorch's thread count is per calling thread; every planning thread sets its own (as the server's workers do).
            TorchRuntime.Configure(torchThreads);
            var list = new List<double>();
            for (int i = 0; i < 20; i++) policies[t].PlanChunks([window], i, null);
            start.SignalAndWait();
            if (t == 0) { gc0 = GC.CollectionCount(0); suspended0 = listener.TotalMs; }
            start.SignalAndWait();
            for (int i = 0; i < plans; i++)
            {
                var w = Stopwatch.StartNew();
                using (LegacyGuard.Enter(guard)) policies[t].PlanChunks([window], i, null);
                list.Add(w.Elapsed.TotalMilliseconds);
            }
            times[t] = list;
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        int gcs = GC.CollectionCount(0) - gc0;
        double suspended = listener.TotalMs - suspended0;
        foreach (var p in policies) p.Dispose();
        return Summarise(times.SelectMany(l => l).ToList(), gcs, suspended);
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }

    /// <summary>
    /// The process-wide no-GC region the training step and planning call used to enter (the removed
    /// NativeCallGuard, with its 64 MiB budget), kept here only to measure what it cost.
    /// </summary>
    private readonly struct LegacyGuard : IDisposable
    {
        private readonly bool _active;

        private LegacyGuard(bool active) => _active = active;

        public static LegacyGuard Enter(bool enabled)
        {
            if (!enabled || GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return new LegacyGuard(false);
            try { return new LegacyGuard(GC.TryStartNoGCRegion(64L * 1024 * 1024, disallowFullBlockingGC: true)); }
            catch (InvalidOperationException) { return new LegacyGuard(false); }
        }

        public void Dispose()
        {
            if (!_active || GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) return;
            try { GC.EndNoGCRegion(); }
            catch (InvalidOperationException) { /* the region already ended */ }
        }
    }
}
