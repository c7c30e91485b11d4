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
            // The trained checkpoint lives outside the (empty) policies directory: allow exactly it.
            ExtraPolicyRoots = [Path.GetFullPath(checkpoint)],
        }, cancellationToken: ct);
        server.Registry.Load(PolicyId, Path.GetFullPath(checkpoint));
        Console.WriteLine($"  listening on {server.Address}; telemetry PUB {telemetryOut}, robots publish to {telemetryIn}");

        using var recorder = new TelemetryRecorder(telemetryOut, fps: SimTasks.Create(kind).ControlHz);
        using var publisher = new RobotTelemetryPublisher(telemetryIn);
        if (!await recorder.WaitUntilReachedAsync(publisher, TimeSpan.FromSeconds(10), ct))
            Console.WriteLine($"  warning: no telemetry reached the recorder through {telemetryIn} -> {telemetryOut} within 10 s; early frames may be lost");
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
        Console.WriteLine($"Network episodes {(same ? "equal" : "differ (batched float rounding) from")} in-process episodes for seeds 100000..{100_000 + check - 1}.");
        double inProcessMs = InProcessPlanP50(local, kind, threads ?? 1);
        double servedMs = fleet.Latency.RoundTrip(0.5);
        Console.WriteLine($"Served round trip p50 {servedMs:F1} ms = {servedMs / inProcessMs:F2} x one in-process plan ({inProcessMs:F1} ms p50).");

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"## Served over gRPC ({robots} sync robots, {episodes} episodes)");
        sb.AppendLine();
        sb.AppendLine(PolicyWorkflow.Markdown(fleet.Evaluation, "diffusion policy via gRPC"));
        sb.AppendLine(SimCommand.LatencyMarkdown(fleet, robots, RobotMode.Sync));
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Served round trip p50 {servedMs:F1} ms against {inProcessMs:F1} ms p50 for one in-process plan (batch 1, same thread count, measured in this run): {servedMs / inProcessMs:F2} x. Seeded requests share batches, so the {robots} robots' plans run together. Load average {LoadAverage()}.");
        sb.AppendLine();
        string verdict = same
            ? "equal in-process evaluation episode by episode"
            : $"differ from in-process evaluation (in-process mean max score {reference.Episodes.Take(check).Average(e => e.MaxScore):F3}, served {fleet.Evaluation.Episodes.Take(check).Average(e => e.MaxScore):F3}): "
              + "batched plans agree with plans alone only to float32 rounding (libtorch picks its kernels by batch size) and closed-loop episodes amplify that; `immiscible serve --max-batch 1` reproduces them bit for bit";
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Sync robots seed each plan by its episode: the first {check} episodes {verdict} (the batched in-process table above draws one noise tensor per batch, so its numbers differ within sampling noise).");
        string telemetry = written is null
            ? $"Telemetry: no complete episode recorded ({recorder.Received} messages)."
            : $"Telemetry: {recorder.Episodes.Count} robot episodes recorded through the server's relay into `recorded/` (LeRobot v3, {recorder.Episodes.Sum(e => e.Episode.Length)} frames).";
        sb.AppendLine(telemetry);
        sb.AppendLine("Serving files: `sim/sim.md`, `sim/sim.json` (per-episode results and latencies), `recorded/` (the robots' episodes as a LeRobot v3 dataset).");
        return sb.ToString();
    }

    // One in-process plan (batch 1) on a thread configured like the server's worker: the yardstick for the round trip.
    private static double InProcessPlanP50(TrainedPolicy policy, SimTaskKind kind, int threads)
    {
        var obs = SimTasks.Create(kind).Reset(0);
        var window = Enumerable.Range(0, policy.Config.Policy.ObsSteps).Select(_ => obs.ToArray()).ToArray();
        var ms = new List<double>();
        var thread = new Thread(() =>
        {
            ImmisciblePolicy.Core.Torch.TorchRuntime.Configure(threads);
            for (int i = 0; i < 45; i++)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                policy.PlanChunks([window], i, null);
                if (i >= 5) ms.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);   // 5 warm-up plans
            }
        });
        thread.Start();
        thread.Join();
        return ImmisciblePolicy.Server.Inference.PlanStatistics.Percentile(ms.Order().ToList(), 0.5);
    }

    private static string LoadAverage()
    {
        const string path = "/proc/loadavg";
        return File.Exists(path) ? string.Join(" ", File.ReadAllText(path).Split(' ').Take(3)) : "n/a";
    }

    private static string FreeTcpEndpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
    }
}
