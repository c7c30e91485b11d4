using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Study;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible study</c>: the training-acceleration study. <c>run</c> executes a preset's cells one after another, each
/// in its own child process (<c>study cell</c>), then writes the report; <c>cell</c> runs one cell (what a pod of the
/// Kubernetes Indexed Job runs, with JOB_COMPLETION_INDEX); <c>list</c> prints the cells; <c>report</c> merges folders.
/// </summary>
internal static class StudyCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create() => new("study", "Matched experiments: vanilla vs immiscible pairings on every task, with curves, CIs and analyses.")
    {
        Run(), Cell(), List(), Report(),
    };

    private static Option<string> PresetOption() => new("--preset")
    {
        Description = $"study design: {string.Join(", ", StudyPresets.All.Select(p => $"{p.Name} ({p.Description})"))}",
        DefaultValueFactory = _ => "quick",
    };

    private static Option<string> RootOption() => new("--out") { Description = "study folder (cells/<id>/ per cell)", DefaultValueFactory = _ => "runs/study" };

    private static Option<string?> DataOption() => new("--data") { Description = "Fashion-MNIST IDX folder (default: the Debian package's)" };

    private static Command Run()
    {
        var preset = PresetOption();
        var root = RootOption();
        var tasks = new Option<string[]>("--tasks") { Description = "only these tasks (ids: pusht, bimodal, fmnist, fmnist-latent)", AllowMultipleArgumentsPerToken = true };
        var methods = new Option<string[]>("--methods") { Description = "only these methods (ids: vanilla, la, knn2, knn4, knn8, ds2, ds2-knn4)", AllowMultipleArgumentsPerToken = true };
        var seeds = new Option<long[]>("--seeds") { Description = "only these seeds", AllowMultipleArgumentsPerToken = true };
        var threads = CommonOptions.Threads();
        var data = DataOption();
        var quick = new Option<bool>("--quick") { Description = "shorthand for --preset quick: a first look in under 20 minutes on 2 cores" };
        var reportOut = new Option<string?>("--report-out") { Description = "where study-<name>.md and its plots go (default: the study folder)" };
        var name = new Option<string?>("--name") { Description = "report name (default: the preset's)" };
        var cmd = new Command("run", "Run a preset's cells in sequence (one process per cell; finished cells are skipped, interrupted ones resume), then report.")
        {
            preset, quick, root, tasks, methods, seeds, threads, data, reportOut, name,
        };
        cmd.SetAction((p, ct) => Task.FromResult(RunCells(p, ct)));
        return cmd;

        int RunCells(ParseResult p, CancellationToken ct)
        {
            var design = p.GetValue(quick) ? StudyPresets.Quick : StudyPresets.Parse(p.GetValue(preset)!);
            var dir = Path.GetFullPath(p.GetValue(root)!);
            var cells = Filter(design.Cells(), p.GetValue(tasks), p.GetValue(methods), p.GetValue(seeds));
            Console.WriteLine($"Study '{design.Name}': {cells.Count} cells -> {dir}");
            var watch = Stopwatch.StartNew();
            var failed = new List<string>();
            for (int i = 0; i < cells.Count; i++)
            {
                var cell = cells[i];
                if (CellRecord.Load(CellRunner.CellDirectory(dir, cell)) is { Completed: true })
                {
                    Console.WriteLine($"[{i + 1}/{cells.Count}] {cell.Id}: complete, skipped");
                    continue;
                }
                Console.WriteLine($"[{i + 1}/{cells.Count}] {cell.Id} (elapsed {CommonOptions.Clock(watch.Elapsed)})");
                var args = new List<string> { "study", "cell", "--preset", design.Name, "--cell-id", cell.Id, "--out", dir };
                if (p.GetValue(threads) is int t) args.AddRange(["--threads", t.ToString(Inv)]);
                if (p.GetValue(data) is string d) args.AddRange(["--data", d]);
                int code = -1;
                for (int attempt = 1; attempt <= 2 && code != 0 && !ct.IsCancellationRequested; attempt++)
                {
                    code = RunChild(args, ct);
                    if (code != 0) Console.WriteLine($"  {cell.Id}: process exited with {code} (attempt {attempt}); {(attempt < 2 ? "resuming" : "giving up")}");
                }
                if (code != 0) failed.Add(cell.Id);
                ct.ThrowIfCancellationRequested();
            }
            Console.WriteLine($"Cells finished in {CommonOptions.Clock(watch.Elapsed)}; {failed.Count} failed{(failed.Count > 0 ? ": " + string.Join(", ", failed) : "")}.");
            var records = StudyReport.Load([dir]).Where(r => cells.Any(c => c.Id == r.Id)).ToList();
            if (records.Count > 0)
            {
                var path = StudyReport.Write(records, p.GetValue(reportOut) ?? dir, p.GetValue(name) ?? design.Name);
                Console.WriteLine($"Report: {path}");
            }
            return failed.Count == 0 ? 0 : 1;
        }
    }

    private static Command Cell()
    {
        var preset = PresetOption();
        var root = RootOption();
        var index = new Option<int?>("--index") { Description = "cell index in the preset (default: $JOB_COMPLETION_INDEX, set by a Kubernetes Indexed Job)" };
        var id = new Option<string?>("--cell-id") { Description = "cell id instead of an index, e.g. bimodal-knn4-s0" };
        var threads = CommonOptions.Threads();
        var data = DataOption();
        var cmd = new Command("cell", "Run (or resume) one cell of a preset into <out>/cells/<id>/.") { preset, root, index, id, threads, data };
        cmd.SetAction((p, ct) => Task.FromResult(RunCell(p, ct)));
        return cmd;

        int RunCell(ParseResult p, CancellationToken ct)
        {
            var design = StudyPresets.Parse(p.GetValue(preset)!);
            StudyCell cell;
            if (p.GetValue(id) is string cellId) cell = design.Cell(cellId);
            else if (p.GetValue(index) is int i) cell = design.Cell(i);
            else if (int.TryParse(Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX"), NumberStyles.Integer, Inv, out var k)) cell = design.Cell(k);
            else throw new ArgumentException("give --index, --cell-id or the JOB_COMPLETION_INDEX environment variable");
            int n = TorchRuntime.Configure(p.GetValue(threads));
            Console.WriteLine($"Cell {cell.Index} of '{design.Name}': {cell.Id} ({cell.Method.Label}, seed {cell.Seed}, {cell.Budget.Steps} steps, {n} threads)");
            var record = CellRunner.Run(cell, Path.GetFullPath(p.GetValue(root)!), Console.WriteLine, p.GetValue(data), ct);
            Console.WriteLine($"{cell.Id}: {(record.Completed ? "complete" : "incomplete")}, {record.Curve.Count} scored points, " +
                              $"train time {(record.Curve.Count > 0 ? record.Curve[^1].TrainSeconds : 0):F0} s");
            return record.Completed ? 0 : 1;
        }
    }

    private static Command List()
    {
        var preset = PresetOption();
        var count = new Option<bool>("--count") { Description = "print only the number of cells (the Indexed Job's completions)" };
        var cmd = new Command("list", "Print a preset's cells with their indices.") { preset, count };
        cmd.SetAction(p =>
        {
            var design = StudyPresets.Parse(p.GetValue(preset)!);
            var cells = design.Cells();
            if (p.GetValue(count))
            {
                Console.WriteLine(cells.Count.ToString(Inv));
                return 0;
            }
            Console.WriteLine($"# preset {design.Name}: {design.Description}");
            foreach (var c in cells)
                Console.WriteLine(string.Create(Inv, $"{c.Index,4}  {c.Id,-28} steps {c.Budget.Steps,6}  scored every {c.Budget.EvalEvery}"));
            return 0;
        });
        return cmd;
    }

    private static Command Report()
    {
        var input = new Option<string[]>("--in") { Description = "study folders to merge (a study root, a cells folder, or pod output folders)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "report folder", DefaultValueFactory = _ => "docs/results" };
        var name = new Option<string>("--name") { Description = "report name: writes study-<name>.md and study-<name>/", DefaultValueFactory = _ => "merged" };
        var cmd = new Command("report", "Merge cell folders into study-<name>.md with tables (95% CIs) and PNG curves.") { input, output, name };
        cmd.SetAction(p =>
        {
            var records = StudyReport.Load(p.GetValue(input)!);
            Console.WriteLine($"{records.Count} cells ({records.Count(r => r.Completed)} complete)");
            Console.WriteLine($"Report: {StudyReport.Write(records, p.GetValue(output)!, p.GetValue(name)!)}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Cells of <paramref name="cells"/> that match the filters (null or empty = no filter).</summary>
    internal static List<StudyCell> Filter(IReadOnlyList<StudyCell> cells, string[]? tasks, string[]? methods, long[]? seeds)
    {
        var t = tasks is { Length: > 0 } ? tasks.SelectMany(x => x.Split(',')).Select(StudyTasks.Parse).ToHashSet() : null;
        var m = methods is { Length: > 0 } ? methods.SelectMany(x => x.Split(',')).Select(x => StudyMethods.Parse(x).Id).ToHashSet() : null;
        return cells.Where(c => (t is null || t.Contains(c.Task)) && (m is null || m.Contains(c.Method.Id)) && (seeds is not { Length: > 0 } || seeds.Contains(c.Seed))).ToList();
    }

    /// <summary>Runs this tool again with <paramref name="args"/> (the apphost, or dotnet + the entry assembly), output passed through.</summary>
    private static int RunChild(IReadOnlyList<string> args, CancellationToken ct)
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path to start a cell process");
        var start = new ProcessStartInfo(exe) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(typeof(StudyCommand).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {exe}");
        using var registration = ct.Register(() =>
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* already exited */ }
        });
        process.WaitForExit();
        return process.ExitCode;
    }
}
