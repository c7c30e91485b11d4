using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmisciblePolicy.Study;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>The train-then-evaluate steps shared by <c>train</c>, <c>eval</c> and <c>demo</c>, with their console output and files.</summary>
internal static class PolicyWorkflow
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Trains, printing progress, evaluating every <paramref name="evalEvery"/> steps, and writes loss/score curves next to the checkpoint.</summary>
    public static TrainedPolicy Train(PolicyRunConfig config, DemonstrationDataset dataset, string checkpointDir, long evalEvery,
        int evalEpisodes, bool resume, CancellationToken ct)
    {
        var t = config.Trainer;
        Console.WriteLine($"Training {config.Task} policy: {t.Steps} steps, batch {t.BatchSize}, U-Net [{string.Join(", ", config.Policy.Unet.DownDims)}], " +
                          $"noise {config.Noise.Method}{(config.Noise.Method == Core.Noise.NoiseAssignmentMethod.Knn ? $" k={config.Noise.K}" : "")}" +
                          $"{(config.Noise.DataScale != 1 ? $" scale={config.Noise.DataScale}" : "")}, seed {t.Seed} -> {checkpointDir}");
        var scores = new List<(double X, double Y)>();
        var started = DateTime.UtcNow;
        var policy = PolicyTraining.Train(config, dataset, checkpointDir,
            p => Console.WriteLine(
                $"  step {p.Step,6}/{p.TotalSteps}  loss {p.Loss:F5}  lr {p.LearningRate:E2}  {p.StepsPerSecond:F1} steps/s  ETA {CommonOptions.Clock(p.Eta)}"),
            (step, dir) =>
            {
                if (evalEvery <= 0 || (step % evalEvery != 0 && step != config.Trainer.Steps) || evalEpisodes <= 0) return;
                using var snapshot = PolicyCheckpoint.Load(dir);
                var r = PolicyEvaluator.Evaluate(snapshot, config.Task, new EvaluationConfig(evalEpisodes).For(snapshot.Config), cancellationToken: ct);
                scores.Add((step, r.Score));
                Console.WriteLine($"  eval @ {step}: score {r.Score:F3}, success {r.SuccessRate:P0} over {evalEpisodes} episodes; modes {ModesLine(r)}");
            }, resume, ct, log: message => Console.WriteLine("  " + message));
        Console.WriteLine($"Training finished in {CommonOptions.Clock(DateTime.UtcNow - started)}.");
        WriteCurves(checkpointDir, checkpointDir, scores);
        return policy;
    }

    /// <summary>Loss curve (from the checkpoint's training state) and closed-loop scores as PNGs.</summary>
    public static void WriteCurves(string checkpointDir, string outDir, IReadOnlyList<(double X, double Y)> scores)
    {
        var statePath = Path.Combine(checkpointDir, "training_state.json");
        if (File.Exists(statePath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(statePath));
            long first = doc.RootElement.GetProperty("FirstStep").GetInt64();
            var losses = doc.RootElement.GetProperty("Losses").EnumerateArray().Select((e, i) => (first + i, e.GetDouble())).ToList();
            LineChart.WritePng(Path.Combine(outDir, "loss.png"), "training loss (moving average of 25 steps)", "step", "loss",
                [("loss", LineChart.Smooth(losses, 25))], logY: true);
        }
        if (scores.Count > 0)
            LineChart.WritePng(Path.Combine(outDir, "score.png"), "closed-loop score during training", "step", "score", [("score", scores)]);
    }

    /// <summary>Evaluates, prints the field's metrics and writes eval.json / eval.md into <paramref name="outDir"/>.</summary>
    public static EvaluationResult Evaluate(IActionChunkPlanner planner, SimTaskKind task, EvaluationConfig config, string outDir, string label,
        CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        Console.WriteLine($"Evaluating {label} on {config.Episodes} {task} episodes (seeds {config.FirstSeed}..{config.FirstSeed + config.Episodes - 1}) ...");
        var result = PolicyEvaluator.Evaluate(planner, task, config, CommonOptions.Counter("episodes"), ct);
        var md = Markdown(result, label);
        Console.WriteLine(md);
        AtomicWrite(Path.Combine(outDir, "eval.md"), md);
        AtomicWrite(Path.Combine(outDir, "eval.json"), EvaluationReport.Json(result, label));
        return result;
    }

    /// <summary>The metrics table as Markdown (<see cref="EvaluationReport.Markdown"/>).</summary>
    public static string Markdown(EvaluationResult r, string label) => EvaluationReport.Markdown(r, label);

    /// <summary>The mode metrics for eval.json / sim.json (<see cref="EvaluationReport.ModesJson"/>).</summary>
    public static object ModesJson(EvaluationResult r) => EvaluationReport.ModesJson(r);

    /// <summary>One line of mode shares and distances (<see cref="EvaluationReport.ModesLine"/>).</summary>
    public static string ModesLine(EvaluationResult r) => EvaluationReport.ModesLine(r);

    public static void AtomicWrite(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
