using System.CommandLine;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary><c>immiscible data generate</c>: expert demonstrations written as a LeRobot v3 dataset.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var task = CommonOptions.Task();
        var episodes = new Option<int>("--episodes") { Description = "episodes to record", DefaultValueFactory = _ => 200 };
        var output = new Option<string>("--out") { Description = "dataset directory (LeRobot v3 layout)", Required = true };
        var seed = new Option<long>("--seed") { Description = "seed of the first episode", DefaultValueFactory = _ => 0L };
        var onlySuccess = new Option<bool>("--only-successful") { Description = "keep only episodes where the expert succeeded" };
        var generate = new Command("generate", "Record scripted-expert demonstrations and write them as a LeRobot v3 dataset.")
        {
            task, episodes, output, seed, onlySuccess,
        };
        generate.SetAction(async (parse, ct) =>
        {
            var kind = SimTasks.Parse(parse.GetValue(task)!);
            var report = await GenerateAsync(kind, parse.GetValue(episodes), parse.GetValue(output)!, parse.GetValue(seed),
                parse.GetValue(onlySuccess), ct);
            return report.Dataset.Episodes.Count > 0 ? 0 : 1;
        });
        return new Command("data", "Demonstration datasets.") { generate };
    }

    /// <summary>Generates and writes a dataset, printing the expert's success rate and speed.</summary>
    public static async Task<DemonstrationReport> GenerateAsync(SimTaskKind kind, int episodes, string output, long seed, bool onlySuccessful,
        CancellationToken ct)
    {
        Console.WriteLine($"Recording {episodes} {kind} expert episodes (seeds {seed}..{seed + episodes - 1}) ...");
        var report = DemonstrationGenerator.Generate(kind, episodes, seed, onlySuccessful, CommonOptions.Counter("episodes"), ct);
        await new LeRobotDatasetWriter(new LeRobotWriterOptions { Overwrite = true }).WriteAsync(report.Dataset, output, ct);
        Console.WriteLine($"Expert success rate {report.SuccessRate:P1}, mean final score {report.MeanFinalScore:F3}, " +
                          $"{report.SecondsPerEpisode:F2} s/episode; kept {report.Dataset.Episodes.Count} episodes, " +
                          $"{report.Dataset.TotalFrames} frames -> {output}");
        return report;
    }
}
