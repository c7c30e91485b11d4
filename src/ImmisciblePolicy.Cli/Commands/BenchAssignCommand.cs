using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible bench assign</c>: what each noise assigner costs per training batch on this machine, next to
/// a plain randn of the same batch, and how much it shortens the sample-to-noise distance. <c>bench</c> is the
/// parent for further micro-benchmarks (e.g. <c>bench serve</c>).
/// </summary>
internal static class BenchAssignCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The <c>bench</c> parent command with <c>assign</c> as its subcommand.</summary>
    internal static Command Create()
    {
        var bench = new Command("bench", "Micro-benchmarks; each writes a Markdown report.");
        bench.Subcommands.Add(CreateAssign());
        bench.Subcommands.Add(BenchPolicyCommand.Create());
        bench.Subcommands.Add(BenchVisionCommand.Create());
        bench.Subcommands.Add(BenchServeCommand.Create());
        bench.Subcommands.Add(BenchNativeCommand.CreateCost());
        bench.Subcommands.Add(BenchNativeCommand.CreateStress());
        bench.Subcommands.Add(BenchPhysicsCommand.Create());
        return bench;
    }

    private static Command CreateAssign()
    {
        var quick = new Option<bool>("--quick") { Description = "small grid (B 128/256, D 32/784, k 2/8, 3 repeats) for a smoke run" };
        var repeats = new Option<int?>("--repeats") { Description = "timed calls per cell after one warm-up call (default 7, quick 3)" };
        var output = new Option<FileInfo>("--out")
        {
            Description = "Markdown report path",
            DefaultValueFactory = _ => new FileInfo(Path.Combine("docs", "benchmarks", "assign.md")),
        };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: IMMISCIBLE_THREADS or all cores)" };
        var cmd = new Command("assign", "Time vanilla, KNN (k = 2/4/8/64) and linear-assignment noise over batch sizes and dimensions.")
        {
            quick, repeats, output, threads,
        };
        cmd.SetAction(parse =>
        {
            bool isQuick = parse.GetValue(quick);
            int n = parse.GetValue(repeats) ?? (isQuick ? 3 : 7);
            if (n < 1)
            {
                Console.Error.WriteLine($"--repeats must be at least 1; received {n}");
                return 2;
            }
            var grid = isQuick ? Grid.Quick : Grid.Full;
            int usedThreads = TorchRuntime.Configure(parse.GetValue(threads));
            if (IsDebugBuild)
                Console.WriteLine("warning: this is a Debug build (JIT optimiser off); the C# assignment solver runs several times slower than in Release (dotnet build -c Release)");
            var report = Measure(grid, n, usedThreads);
            var path = parse.GetValue(output)!;
            WriteAtomically(path, report);
            Console.WriteLine($"wrote {path.FullName}");
            return 0;
        });
        return cmd;
    }

    /// <summary>True when the core library was compiled without JIT optimisation (a Debug build).</summary>
    private static bool IsDebugBuild =>
        typeof(LinearAssignmentNoise).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false)
            .OfType<DebuggableAttribute>().Any(a => a.IsJITOptimizerDisabled);

    /// <summary>Batch sizes, dimensions and KNN k values to cover.</summary>
    private sealed record Grid(int[] Batches, int[] Dims, int[] Ks)
    {
        public static readonly Grid Full = new([128, 256, 512, 1024, 2048], [32, 784, 3072], [2, 4, 8, 64]);
        public static readonly Grid Quick = new([128, 256], [32, 784], [2, 8]);
    }

    /// <summary>One measured (B, D, method) cell.</summary>
    /// <param name="Ms">median wall time of one Assign call, milliseconds.</param>
    /// <param name="VsVanilla">Ms over the vanilla draw of the same (B, D).</param>
    /// <param name="FloorMs">KNN only: median time of just randn(B, k, D), the draw KNN cannot avoid.</param>
    /// <param name="Reduction">relative reduction of the mean sample-noise L2 distance vs vanilla (same seed).</param>
    private sealed record Cell(int B, int D, string Method, double Ms, double VsVanilla, double? FloorMs, double Reduction)
    {
        public double? VsFloor => FloorMs is double f ? Ms / f : null;
    }

    private static string Measure(Grid grid, int repeats, int threads)
    {
        string loadBefore = LoadAverage();
        var cells = new List<Cell>();
        int total = grid.Batches.Length * grid.Dims.Length, done = 0;
        var overall = Stopwatch.StartNew();
        Console.WriteLine($"bench assign: {total} (B, D) cells, {repeats} timed calls each after 1 warm-up, {threads} threads");
        Console.WriteLine($"{"B",5} {"D",5} {"method",-10} {"ms",10} {"x vanilla",10} {"x floor",8} {"dist -%",8}");
        foreach (int d in grid.Dims)
        {
            foreach (int b in grid.Batches)
            {
                done++;
                using var cellScope = NewDisposeScope();
                using var dataGenerator = new Generator((ulong)(1000 * b + d));
                var x0 = randn([b, d], generator: dataGenerator); // (B, D) standard-normal data
                var knns = grid.Ks.Select(k => new KnnNoiseSelector(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = k })).ToArray();
                var assign = new LinearAssignmentNoise(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.LinearAssignment });
                var calls = new List<Func<Generator, Tensor>> { g => randn([b, d], generator: g) };
                calls.AddRange(grid.Ks.Select(k => (Func<Generator, Tensor>)(g => randn([b, k, d], generator: g))));
                calls.AddRange(knns.Select(knn => (Func<Generator, Tensor>)(g => knn.Assign(x0, g))));
                calls.Add(g => assign.Assign(x0, g));
                var ms = TimeInterleaved(calls, repeats);
                double vanillaMs = ms[0];
                Add(new Cell(b, d, "vanilla", vanillaMs, 1.0, null, 0.0));
                for (int i = 0; i < knns.Length; i++)
                {
                    double knnMs = ms[1 + knns.Length + i];
                    Add(new Cell(b, d, $"knn k={knns[i].K}", knnMs, knnMs / vanillaMs, ms[1 + i], Reduction(knns[i], x0)));
                }
                double laMs = ms[^1];
                Add(new Cell(b, d, "assign", laMs, laMs / vanillaMs, null, Reduction(assign, x0)));
                Console.WriteLine($"  [{done}/{total}] B={b} D={d} done, {overall.Elapsed.TotalSeconds:F0} s elapsed");
            }
        }
        return Markdown(cells, repeats, threads, loadBefore, LoadAverage(), overall.Elapsed);

        void Add(Cell c)
        {
            cells.Add(c);
            Console.WriteLine(string.Create(Inv,
                $"{c.B,5} {c.D,5} {c.Method,-10} {c.Ms,10:F3} {c.VsVanilla,10:F2} {(c.VsFloor is double f ? f.ToString("F2", Inv) : "-"),8} {100 * c.Reduction,8:F2}"));
        }
    }

    private static double Reduction(INoiseAssigner assigner, Tensor x0)
    {
        using var scope = NewDisposeScope();
        return MiscibilityMetrics.DistanceReduction(assigner, x0, seed: 7).RelativeReduction;
    }

    /// <summary>
    /// Median wall time in ms of each call. Calls run interleaved (one round = every call once, in order) so a
    /// burst of load from other processes hits all methods of a cell alike and their ratios stay fair; one
    /// untimed warm-up round first. When the warm-up round took over 10 s, at most 3 timed rounds follow.
    /// </summary>
    private static double[] TimeInterleaved(IReadOnlyList<Func<Generator, Tensor>> calls, int repeats)
    {
        using var g = new Generator(12345);
        var warm = Stopwatch.StartNew();
        foreach (var call in calls)
        {
            using var scope = NewDisposeScope();
            call(g);
        }
        if (warm.Elapsed.TotalSeconds > 10) repeats = Math.Min(repeats, 3);
        var times = new double[calls.Count][];
        for (int c = 0; c < calls.Count; c++) times[c] = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            for (int c = 0; c < calls.Count; c++)
            {
                using var scope = NewDisposeScope(); // the result is freed after the clock stops
                var sw = Stopwatch.StartNew();
                calls[c](g);
                times[c][r] = sw.Elapsed.TotalMilliseconds;
            }
        }
        return times.Select(Median).ToArray();
    }

    private static string Markdown(List<Cell> cells, int repeats, int threads, string loadBefore, string loadAfter, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        void Line(FormattableString s) => md.AppendLine(s.ToString(Inv));
        Line($"# Noise assignment cost per batch");
        Line($"");
        Line($"Generated by `immiscible bench assign` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        Line($"Machine: {CpuModel()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch intra-op threads {threads}, {(IsDebugBuild ? "Debug build (unoptimised: not representative)" : "Release build")}.");
        Line($"Load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}. The machine is shared: other jobs inflate wall times, ratios within a cell are measured back to back and are the robust part. Whole run: {elapsed.TotalSeconds:F0} s.");
        Line($"");
        Line($"Method: data x0 is (B, D) standard normal; each cell runs all its methods interleaved, one untimed warm-up round then {repeats} timed rounds (3 when the warm-up round took over 10 s), and reports per-call medians. *vanilla* is `randn(B, D)`; *knn k* is `KnnNoiseSelector` (one `randn(B, k, D)`, scores by `||e||^2 - 2 x.e + ||x||^2` with `bmm`, argmin, gather); *floor* is just `randn(B, k, D)`, the draw KNN cannot avoid (target: KNN <= 1.3x floor); *assign* is `LinearAssignmentNoise` (randn, B x B unsquared-L2 cost in float32 via one matmul, exact Jonker-Volgenant solve, permute). *dist -%* is the relative reduction of the mean sample-to-noise L2 distance against a vanilla draw from the same seed (one batch, seed 7).");
        Line($"");
        Line($"## Summary");
        Line($"");
        Line($"| method | KNN / floor: median | KNN / floor: max | x vanilla: median | dist -%: D=32 / 784 / 3072 (B=128) |");
        Line($"|---|---:|---:|---:|---|");
        foreach (var group in cells.Where(c => c.FloorMs is not null).GroupBy(c => c.Method))
        {
            var ratios = group.Select(c => c.VsFloor!.Value).ToArray();
            Line($"| {group.Key} | {Median(ratios):F2} | {ratios.Max():F2} | {Median(group.Select(c => c.VsVanilla).ToArray()):F1} | {ReductionsAtSmallestBatch(group)} |");
        }
        var laCells = cells.Where(c => c.Method == "assign").ToArray();
        Line($"| assign | - | - | {Median(laCells.Select(c => c.VsVanilla).ToArray()):F1} | {ReductionsAtSmallestBatch(laCells)} |");
        Line($"");
        var dims = cells.Select(c => c.D).Distinct().ToArray();
        Line($"Linear assignment, ms per call (cost matrix + solve + permute) by B; reference (Li et al. 2024, one GPU, fp16 cost, SciPy solve): 5.4 / 6.7 / 8.8 / 22.8 ms at B = 128 / 256 / 512 / 1024.");
        Line($"");
        Line($"| B | {string.Join(" | ", dims.Select(d => $"D = {d}"))} |");
        Line($"|---:|{string.Concat(dims.Select(_ => "---:|"))}");
        foreach (var row in laCells.GroupBy(c => c.B))
            Line($"| {row.Key} | {string.Join(" | ", dims.Select(d => row.Where(c => c.D == d).Select(c => c.Ms.ToString("F1", Inv)).FirstOrDefault() ?? "-"))} |");
        Line($"");
        Line($"## All cells");
        Line($"");
        Line($"| B | D | method | ms | x vanilla | x floor | dist -% |");
        Line($"|---:|---:|---|---:|---:|---:|---:|");
        foreach (var c in cells)
            Line($"| {c.B} | {c.D} | {c.Method} | {c.Ms:F3} | {c.VsVanilla:F2} | {(c.VsFloor is double f ? f.ToString("F2", Inv) : "-")} | {100 * c.Reduction:F2} |");
        return md.ToString();
    }

    private static string ReductionsAtSmallestBatch(IEnumerable<Cell> group)
    {
        var cells = group.ToArray();
        int b = cells.Min(c => c.B);
        return string.Join(" / ", cells.Where(c => c.B == b).OrderBy(c => c.D).Select(c => (100 * c.Reduction).ToString("F2", Inv)));
    }

    private static double Median(double[] values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
    }

    private static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException) { return RuntimeInformation.ProcessArchitecture.ToString(); }
        catch (UnauthorizedAccessException) { return RuntimeInformation.ProcessArchitecture.ToString(); }
    }

    /// <summary>Writes to a temporary file next to the target and renames it over, so readers never see half a report.</summary>
    private static void WriteAtomically(FileInfo path, string text)
    {
        var dir = path.Directory ?? new DirectoryInfo(".");
        dir.Create();
        var tmp = Path.Combine(dir.FullName, $".{path.Name}.{Environment.ProcessId}.tmp");
        File.WriteAllText(tmp, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(tmp, path.FullName, overwrite: true);
    }
}
