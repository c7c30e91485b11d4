using System.CommandLine;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots.Telemetry;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible telemetry record</c>: subscribes to robots' obs/executed telemetry (usually through the
/// server's relay) and writes the complete episodes as a LeRobot v3 dataset, so robot runs become training data.
/// </summary>
internal static class TelemetryCommand
{
    public static Command Create()
    {
        var endpoint = new Option<string>("--endpoint") { Description = "ZeroMQ endpoint to subscribe to (the server's telemetry PUB)", DefaultValueFactory = _ => "tcp://127.0.0.1:5556" };
        var output = new Option<string>("--out") { Description = "dataset directory to write", Required = true };
        var episodes = new Option<int?>("--episodes") { Description = "stop after this many complete episodes" };
        var seconds = new Option<double?>("--seconds") { Description = "stop after this many seconds" };
        var task = CommonOptions.Task();
        var bind = new Option<bool>("--bind") { Description = "bind the endpoint (robots publish straight to the recorder) instead of connecting" };
        var obs = CommonOptions.Observation("Push-T observation layout the robots run (names the dataset's features): keypoints (default), state or env-state");
        var record = new Command("record", "Record robot telemetry into a LeRobot v3 dataset.") { endpoint, output, episodes, seconds, task, bind, obs };
        record.SetAction(async (parse, ct) =>
        {
            int? n = parse.GetValue(episodes);
            double? s = parse.GetValue(seconds);
            if (n is null && s is null) throw new ArgumentException("give --episodes N or --seconds S (or both: whichever comes first)");
            if (n is < 1) throw new ArgumentException($"--episodes must be at least 1; received {n}");
            if (s is not null && !(s > 0)) throw new ArgumentException($"--seconds must be positive; received {s}");
            var kind = SimTasks.Parse(parse.GetValue(task)!);
            var fps = SimTasks.Create(kind).ControlHz;
            using var recorder = new TelemetryRecorder(parse.GetValue(endpoint)!, parse.GetValue(bind), fps);
            Console.WriteLine($"Recording {kind} telemetry from {recorder.Endpoint} until {(n is null ? "" : $"{n} episodes")}{(n is not null && s is not null ? " or " : "")}{(s is null ? "" : $"{s} s")} ...");
            var layout = parse.GetValue(obs) is { } name ? SimTasks.ParseObservation(name) : SimTasks.DefaultObservation;
            var dir = await RecordAsync(recorder, kind, n, s is null ? null : TimeSpan.FromSeconds(s.Value), parse.GetValue(output)!, ct, layout);
            return dir is null ? 1 : 0;
        });
        return new Command("telemetry", "Robot telemetry tools.") { record };
    }

    /// <summary>Waits for episodes or time, prints progress, writes the dataset; null when nothing complete was recorded.</summary>
    public static async Task<string?> RecordAsync(TelemetryRecorder recorder, SimTaskKind kind, int? episodes, TimeSpan? duration, string outDir,
        CancellationToken ct, Sim.PushT.PushTObservation observation = SimTasks.DefaultObservation)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (duration is { } d) limit.CancelAfter(d);
        int reported = 0;
        while (!limit.IsCancellationRequested && recorder.Episodes.Count < (episodes ?? int.MaxValue))
        {
            try { await Task.Delay(200, limit.Token); } catch (OperationCanceledException) { }
            int now = recorder.Episodes.Count;
            if (now != reported) Console.WriteLine($"  recorded {now} episode(s), {recorder.Episodes.Sum(e => e.Episode.Length)} frames");
            reported = now;
        }
        if (recorder.Episodes.Count == 0)
        {
            Console.WriteLine($"No complete episode recorded ({recorder.Received} messages, {recorder.Malformed} malformed, {recorder.Incomplete} with gaps).");
            return null;
        }
        var dataset = recorder.ToDataset(kind, episodes, observation: observation);
        await new LeRobotDatasetWriter(new LeRobotWriterOptions { Overwrite = true }).WriteAsync(dataset, outDir, CancellationToken.None);
        Console.WriteLine($"Wrote {dataset.Episodes.Count} episodes, {dataset.TotalFrames} frames to {outDir} (LeRobot v3; {recorder.Incomplete} episode(s) with gaps left out).");
        return outDir;
    }
}
