using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots;
using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Robots.Telemetry;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible sim run</c>: a fleet of simulated robots against one planning server. Episodes (seeds
/// first-seed + i) are spread over the robots; the scores are printed as <c>eval</c> prints them, plus the
/// request latencies. In sync mode every plan is seeded by its episode, so the scores equal in-process
/// evaluation one episode at a time (<c>--compare CHECKPOINT</c> checks it).
/// </summary>
internal static class SimCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "planning server URL", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
        var task = CommonOptions.Task();
        var robots = new Option<int>("--robots") { Description = "robots running in parallel", DefaultValueFactory = _ => 8 };
        var episodes = new Option<int>("--episodes") { Description = "episodes in total (Diffusion Policy: 50)", DefaultValueFactory = _ => 50 };
        var firstSeed = new Option<long>("--first-seed") { Description = "seed of the first episode", DefaultValueFactory = _ => 100_000L };
        var policy = new Option<string?>("--policy") { Description = "served policy id (default: the server's first policy for the task)" };
        var mode = new Option<RobotMode>("--mode")
        {
            Description = "Sync (ask, execute Ta, ask; reproducible) or Async (LeRobot action queue, blend 0.3/0.7 at half a chunk)",
            DefaultValueFactory = _ => RobotMode.Sync,
        };
        var hz = new Option<double>("--control-hz") { Description = "async control rate (0 = as fast as actions arrive)", DefaultValueFactory = _ => 10.0 };
        var stream = new Option<bool>("--stream") { Description = "async: one StreamPlans call per episode instead of unary Plans" };
        var telemetry = new Option<string?>("--telemetry") { Description = "ZeroMQ endpoint robots publish obs/executed to (e.g. the server's --telemetry-in)" };
        var steps = new Option<int?>("--inference-steps") { Description = "override the policy's denoising steps" };
        var apiKey = new Option<string?>("--api-key") { Description = "x-api-key for servers that require one" };
        var output = new Option<string?>("--out") { Description = "write sim.md / sim.json here" };
        var compare = new Option<string?>("--compare") { Description = "also evaluate this checkpoint in-process (episode by episode) and check the scores match" };
        var obs = CommonOptions.Observation("Push-T observation layout of the robots' environments (the served policy's): state, env-state or keypoints");
        var run = new Command("run", "Run simulated robots against a planning server and score them.")
        {
            server, task, robots, episodes, firstSeed, policy, mode, hz, stream, telemetry, steps, apiKey, output, compare, obs,
        };
        run.SetAction(async (parse, ct) =>
        {
            var kind = SimTasks.Parse(parse.GetValue(task)!);
            var compareConfig = parse.GetValue(compare) is { } ckpt ? PolicyCheckpoint.ReadConfig(ckpt) : null;
            var layout = parse.GetValue(obs) is { } named ? SimTasks.ParseObservation(named) : compareConfig?.Observation ?? SimTasks.DefaultObservation;
            var config = new RobotConfig(kind, parse.GetValue(mode), ControlHz: parse.GetValue(hz), InferenceSteps: parse.GetValue(steps),
                Stream: parse.GetValue(stream), Observation: layout);
            using var connection = new PlanningConnection(parse.GetValue(server)!, parse.GetValue(apiKey));
            using var publisher = parse.GetValue(telemetry) is { } endpoint ? new RobotTelemetryPublisher(endpoint) : null;
            var fleet = await RunAsync(connection, parse.GetValue(policy), config, parse.GetValue(robots), parse.GetValue(episodes),
                parse.GetValue(firstSeed), publisher, parse.GetValue(output), ct, compareConfig?.DemonstrationModes);
            if (parse.GetValue(compare) is { } checkpoint)
            {
                TorchRuntime.Configure(null);
                using var local = PolicyCheckpoint.Load(checkpoint);
                Console.WriteLine($"Evaluating {checkpoint} in-process, one episode at a time ...");
                var reference = EpisodewiseEvaluation.Evaluate(local, kind, parse.GetValue(episodes), parse.GetValue(firstSeed),
                    CommonOptions.Counter("episodes"), ct, new EvaluationConfig().For(local.Config));
                Console.WriteLine(PolicyWorkflow.Markdown(reference, "in-process"));
                bool same = reference.Episodes.SequenceEqual(fleet.Evaluation.Episodes);
                Console.WriteLine(same
                    ? "Network and in-process episodes are identical."
                    : $"Network and in-process episodes differ ({reference.Episodes.Zip(fleet.Evaluation.Episodes).Count(p => p.First != p.Second)} of {reference.Episodes.Count})" +
                      (config.Mode == RobotMode.Async
                          ? " — expected in async mode (timing-dependent)."
                          : " — with several robots a batching server agrees with in-process plans only to float32 rounding, which closed loops amplify; serve with --max-batch 1 to compare bit for bit."));
                if (!same && config.Mode == RobotMode.Sync) return 3;
            }
            return 0;
        });
        return new Command("sim", "Simulated robots against a planning server.") { run };
    }

    /// <summary>Resolves the policy, runs the fleet with progress lines, prints and optionally writes the score and latency tables.</summary>
    public static async Task<FleetResult> RunAsync(PlanningConnection connection, string? policyId, RobotConfig config, int robots, int episodes,
        long firstSeed, RobotTelemetryPublisher? telemetry, string? outDir, CancellationToken ct, IReadOnlyList<ModeShare>? demonstrationModes = null)
    {
        var policy = await connection.ResolvePolicyAsync(policyId, config.Task, ct);
        Console.WriteLine($"Running {robots} {config.Mode.ToString().ToLowerInvariant()} robots on {episodes} {config.Task} episodes " +
                          $"(seeds {firstSeed}..{firstSeed + episodes - 1}) against {connection.Url}, policy '{policy.PolicyId}' " +
                          $"(step {policy.Version?.CheckpointStep}, To {policy.ObservationSteps}, Ta {policy.ActionSteps}){(telemetry is null ? "" : $", telemetry -> {telemetry.Endpoint}")} ...");
        if (telemetry is not null && !telemetry.WaitForSubscriber(TimeSpan.FromSeconds(2)))
            Console.WriteLine($"  (no telemetry subscriber at {telemetry.Endpoint} yet; messages before one connects are lost)");
        var fleet = await RobotFleet.RunAsync(connection, policy, config, robots, episodes, firstSeed, telemetry, CommonOptions.Counter("episodes"), ct);
        fleet = fleet with { Evaluation = fleet.Evaluation with { DemonstrationModes = demonstrationModes } };
        var label = $"{policy.PolicyId} via gRPC ({robots} robots, {config.Mode.ToString().ToLowerInvariant()})";
        var md = PolicyWorkflow.Markdown(fleet.Evaluation, label) + Environment.NewLine + LatencyMarkdown(fleet, robots, config.Mode);
        Console.WriteLine(md);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            PolicyWorkflow.AtomicWrite(Path.Combine(outDir, "sim.md"), md);
            PolicyWorkflow.AtomicWrite(Path.Combine(outDir, "sim.json"), JsonSerializer.Serialize(new
            {
                label,
                task = config.Task.ToString(),
                mode = config.Mode.ToString(),
                robots,
                episodes = fleet.Evaluation.Episodes.Count,
                score = fleet.Evaluation.Score,
                successRate = fleet.Evaluation.SuccessRate,
                averageMaxScore = fleet.Evaluation.AverageMaxScore,
                modes = PolicyWorkflow.ModesJson(fleet.Evaluation),
                plans = fleet.Latency.Count,
                roundTripMsP50 = fleet.Latency.RoundTrip(0.5),
                roundTripMsP95 = fleet.Latency.RoundTrip(0.95),
                roundTripMsP99 = fleet.Latency.RoundTrip(0.99),
                serverMsP50 = fleet.Latency.Server(0.5),
                retries = fleet.Retries,
                seconds = fleet.Elapsed.TotalSeconds,
                perEpisode = fleet.Episodes,
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        return fleet;
    }

    /// <summary>Request latencies and queue counters as a Markdown table.</summary>
    public static string LatencyMarkdown(FleetResult f, int robots, RobotMode mode)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| robots | mode | plans | round trip ms p50 | p95 | p99 | server ms p50 | stalls | dropped | blended | retries | wall |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        sb.AppendLine(Inv, $"| {robots} | {mode.ToString().ToLowerInvariant()} | {f.Latency.Count} | {f.Latency.RoundTrip(0.5):F1} | {f.Latency.RoundTrip(0.95):F1} | " +
                           $"{f.Latency.RoundTrip(0.99):F1} | {f.Latency.Server(0.5):F1} | {f.Episodes.Sum(e => e.Stalls)} | {f.Episodes.Sum(e => e.Dropped)} | " +
                           $"{f.Episodes.Sum(e => e.Blended)} | {f.Retries} | {CommonOptions.Clock(f.Elapsed)} |");
        return sb.ToString();
    }
}
