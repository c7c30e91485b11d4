using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots;
using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Robots.Telemetry;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// The serving half of <c>immiscible demo</c>: the trained checkpoint behind an in-process planning server on a
/// free loopback port, sync robots driving the task through gRPC, their telemetry relayed by the server into a
/// recorder that writes a LeRobot dataset, and a check that the network episodes equal in-process ones.
/// </summary>
internal static class DemoServing
{
    private const string PolicyId = "demo";

    /// <summary>Runs the fleet and returns the report's Markdown section.</summary>
    public static async Task<string> RunAsync(SimTaskKind kind, string checkpoint, string root, int robots, int episodes, int? threads,
        CancellationToken ct)
    {
        var policiesDir = Path.Combine(root, "serving");
        Directory.CreateDirectory(policiesDir);
        string telemetryOut = FreeTcpEndpoint(), telemetryIn = FreeTcpEndpoint();
        Console.WriteLine("Serving the checkpoint over gRPC (in-process server, loopback) ...");
        await using var server = await PlanningServerHost.StartAsync(new PlanningServerOptions
        {
            PoliciesDirectory = policiesDir,
            Url = "http://127.0.0.1:0",
            TelemetryEndpoint = telemetryOut,
            TelemetryInEndpoint = telemetryIn,
            // The robots' simulators and gRPC clients share the same cores: one planning thread avoids OpenMP
            // workers parking and waking on every op (measured: ~210 ms p50 per plan with 2 threads in this demo,
            // against ~14 ms for the same plan on an idle core).
            TorchThreads = threads ?? 1,
        }, cancellationToken: ct);
        server.Registry.Load(PolicyId, Path.GetFullPath(checkpoint));
        Console.WriteLine($"  listening on {server.Address}; telemetry PUB {telemetryOut}, robots publish to {telemetryIn}");

        using var recorder = new TelemetryRecorder(telemetryOut, fps: SimTasks.Create(kind).ControlHz);
        using var publisher = new RobotTelemetryPublisher(telemetryIn);
        publisher.WaitForSubscriber(TimeSpan.FromSeconds(5));
        await Task.Delay(300, ct);   // the recorder's SUB joins the server's PUB asynchronously
        using var connection = new PlanningConnection(server.Address.ToString());
        var simDir = Path.Combine(root, "sim");
        var trained = PolicyCheckpoint.ReadConfig(checkpoint);
        var settings = new EvaluationConfig().For(trained);
        var fleet = await SimCommand.RunAsync(connection, PolicyId, new RobotConfig(kind, RobotMode.Sync, Observation: trained.Observation), robots, episodes,
            100_000, publisher, simDir, ct, trained.DemonstrationModes);

        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            wait.CancelAfter(TimeSpan.FromSeconds(10));
            await recorder.WaitForEpisodesAsync(episodes, wait.Token);
        }
        var recordedDir = Path.Combine(root, "recorded");
        var written = await TelemetryCommand.RecordAsync(recorder, kind, episodes, TimeSpan.Zero, recordedDir, ct, trained.Observation);

        // Sync robots seed every plan by their episode, so they must reproduce in-process episodes exactly.
        int check = Math.Min(episodes, 5);
        using var local = PolicyCheckpoint.Load(checkpoint);
        var reference = EpisodewiseEvaluation.Evaluate(local, kind, check, 100_000, cancellationToken: ct, settings: settings);
        bool same = reference.Episodes.SequenceEqual(fleet.Evaluation.Episodes.Take(check));
        Console.WriteLine($"Network episodes {(same ? "equal" : "DIFFER FROM")} in-process episodes for seeds 100000..{100_000 + check - 1}.");

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"## Served over gRPC ({robots} sync robots, {episodes} episodes)");
        sb.AppendLine();
        sb.AppendLine(PolicyWorkflow.Markdown(fleet.Evaluation, "diffusion policy via gRPC"));
        sb.AppendLine(SimCommand.LatencyMarkdown(fleet, robots, RobotMode.Sync));
        string verdict = same ? "equal" : "do NOT equal";
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Sync robots seed each plan by its episode: the first {check} episodes {verdict} in-process evaluation episode by episode (the batched in-process table above draws one noise tensor per batch, so its numbers differ within sampling noise).");
        string telemetry = written is null
            ? $"Telemetry: no complete episode recorded ({recorder.Received} messages)."
            : $"Telemetry: {recorder.Episodes.Count} robot episodes recorded through the server's relay into `recorded/` (LeRobot v3, {recorder.Episodes.Sum(e => e.Episode.Length)} frames).";
        sb.AppendLine(telemetry);
        sb.AppendLine("Serving files: `sim/sim.md`, `sim/sim.json` (per-episode results and latencies), `recorded/` (the robots' episodes as a LeRobot v3 dataset).");
        return sb.ToString();
    }

    private static string FreeTcpEndpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
    }
}
