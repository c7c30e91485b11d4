using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Grpc.Net.Client;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Robots.Planning;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Server.Inference;

namespace ImmisciblePolicy.Cli.Benchmarks;

/// <summary>Sizes of a serving benchmark run.</summary>
/// <param name="LatencySamples">sequential plans per latency row (after 20 warm-up plans).</param>
/// <param name="ThroughputSeconds">duration of each throughput cell.</param>
/// <param name="Clients">concurrent client counts (one gRPC channel each).</param>
/// <param name="MaxBatch">batch limit of the "batching on" server.</param>
/// <param name="MaxWaitMs">batching window of the "batching on" server.</param>
/// <param name="TorchThreads">libtorch intra-op threads of the planning threads (null: TorchRuntime's default).</param>
/// <param name="SeededRobots">seeded closed-loop clients, as the demo's sync robots (each request carries its own seed).</param>
/// <param name="Engine">what runs the denoiser, in process and in the server (<c>serve --engine</c>).</param>
public sealed record ServeBenchmarkConfig(int LatencySamples = 200, double ThroughputSeconds = 5, int[]? Clients = null, int MaxBatch = 32,
    double MaxWaitMs = 2, int? TorchThreads = null, int SeededRobots = 4, Policy.PolicyEngine Engine = Policy.PolicyEngine.Torch)
{
    /// <summary>1, 8 and 32 clients unless set.</summary>
    public int[] ClientCounts => Clients ?? [1, 8, 32];
}

/// <summary>One latency row: a way of calling the policy and its percentiles.</summary>
public sealed record LatencyRow(string Path, int Samples, double P50Ms, double P99Ms, double MeanMs,
    Policy.PolicyEngine Engine = Policy.PolicyEngine.Torch);

/// <summary>One throughput cell.</summary>
public sealed record ThroughputRow(bool Batching, int Clients, long Plans, double Seconds, double PlansPerSecond, double P50Ms, double P99Ms, double MeanBatch,
    bool Seeded = false, Policy.PolicyEngine Engine = Policy.PolicyEngine.Torch);

/// <summary>
/// Measures planning latency in-process vs over gRPC on loopback, and throughput at several client counts
/// with and without dynamic batching. The server runs in this process on an ephemeral loopback port (telemetry
/// off), so client and server share the CPU, as a robot and its planner would on one machine.
/// </summary>
public sealed class ServeBenchmark(string policiesDirectory, string policyId, ServeBenchmarkConfig config, Action<string> progress)
{
    /// <summary>Runs every measurement.</summary>
    public async Task<(List<LatencyRow> Latency, List<ThroughputRow> Throughput)> RunAsync(TrainedPolicy inProcess, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(inProcess);
        var window = Window(inProcess);
        var latency = new List<LatencyRow>();
        var throughput = new List<ThroughputRow>();

        progress("latency: in-process PlanChunks");
        // On a dedicated thread that sets its own libtorch threads, exactly like the server's worker.
        LatencyRow? inProcessRow = null;
        var thread = new Thread(() =>
        {
            TorchRuntime.Configure(config.TorchThreads);
            inProcessRow = Latency("in-process TrainedPolicy.PlanChunks (batch 1)", i => inProcess.PlanChunks([window], i, (int?)null));
        });
        thread.Start();
        thread.Join();
        latency.Add(inProcessRow!);

        foreach (bool batching in new[] { false, true })
        {
            await using var server = await PlanningServerHost.StartAsync(Options(batching), cancellationToken: ct);
            using (var channel = GrpcChannel.ForAddress(server.Address))
            {
                var client = new PlanningService.PlanningServiceClient(channel);
                string label = batching
                    ? $"gRPC Plan, batching on (max {config.MaxBatch}, wait {config.MaxWaitMs} ms), 1 client"
                    : "gRPC Plan, batching off, 1 client";
                progress($"latency: {label}");
                latency.Add(await LatencyAsync(label, client, window, ct));
            }
            foreach (int clients in config.ClientCounts)
            {
                progress($"throughput: batching {(batching ? "on" : "off")}, {clients} clients, {config.ThroughputSeconds} s");
                throughput.Add(await ThroughputAsync(server, batching, clients, window, seeded: false, ct));
            }
            if (config.SeededRobots > 0)
            {
                progress($"throughput: batching {(batching ? "on" : "off")}, {config.SeededRobots} seeded robots, {config.ThroughputSeconds} s");
                throughput.Add(await ThroughputAsync(server, batching, config.SeededRobots, window, seeded: true, ct));
            }
        }
        return ([.. latency.Select(r => r with { Engine = config.Engine })], [.. throughput.Select(r => r with { Engine = config.Engine })]);
    }

    private PlanningServerOptions Options(bool batching) => new()
    {
        PoliciesDirectory = policiesDirectory,
        Url = "http://127.0.0.1:0",
        TelemetryEndpoint = null,
        MaxBatch = batching ? config.MaxBatch : 1,
        MaxWaitMs = batching ? config.MaxWaitMs : 0,
        QueueCapacity = 1024,
        TorchThreads = config.TorchThreads,
        Engine = config.Engine,
        Onnx = new Onnx.OnnxEngineOptions { IntraOpThreads = Math.Max(1, config.TorchThreads ?? 1) },
    };

    private LatencyRow Latency(string label, Action<int> plan)
    {
        for (int i = 0; i < 20; i++) plan(i);
        var ms = new double[config.LatencySamples];
        for (int i = 0; i < ms.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            plan(i);
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return Row(label, ms);
    }

    private async Task<LatencyRow> LatencyAsync(string label, PlanningService.PlanningServiceClient client, ObservationWindow window, CancellationToken ct)
    {
        for (int i = 0; i < 20; i++) await client.PlanAsync(Request(window, i, "latency"), cancellationToken: ct);
        var ms = new double[config.LatencySamples];
        for (int i = 0; i < ms.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await client.PlanAsync(Request(window, i, "latency"), cancellationToken: ct);
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return Row(label, ms);
    }

    private async Task<ThroughputRow> ThroughputAsync(RunningPlanningServer server, bool batching, int clients, ObservationWindow window, bool seeded,
        CancellationToken ct)
    {
        var channels = Enumerable.Range(0, clients).Select(_ => GrpcChannel.ForAddress(server.Address)).ToList();
        try
        {
            // Warm every connection before timing.
            await Task.WhenAll(channels.Select((c, i) => new PlanningService.PlanningServiceClient(c).PlanAsync(Request(window, i, $"warm-{i}")).ResponseAsync));
            var until = Stopwatch.GetTimestamp() + (long)(config.ThroughputSeconds * Stopwatch.Frequency);
            long started = Stopwatch.GetTimestamp();
            var perClient = await Task.WhenAll(channels.Select((channel, c) => Task.Run(async () =>
            {
                var client = new PlanningService.PlanningServiceClient(channel);
                var latencies = new List<double>();
                long batchSum = 0;
                for (int i = 0; Stopwatch.GetTimestamp() < until; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    // Seeded like the demo's sync robots (a seed per episode and plan), each robot its own.
                    var reply = await client.PlanAsync(Request(window, i, $"robot-{c}", seeded ? 100_000L * (c + 1) + i : null), cancellationToken: ct);
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    batchSum += reply.Timing.BatchSize;
                }
                return (latencies, batchSum);
            }, ct)));
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var all = perClient.SelectMany(p => p.latencies).Order().ToList();
            double meanBatch = all.Count == 0 ? 0 : perClient.Sum(p => p.batchSum) / (double)all.Count;
            return new ThroughputRow(batching, clients, all.Count, seconds, all.Count / seconds,
                PlanStatistics.Percentile(all, 0.5), PlanStatistics.Percentile(all, 0.99), meanBatch, seeded);
        }
        finally
        {
            foreach (var c in channels) c.Dispose();
        }
    }

    private static LatencyRow Row(string label, double[] ms)
    {
        var sorted = ms.Order().ToList();
        return new LatencyRow(label, ms.Length, PlanStatistics.Percentile(sorted, 0.5), PlanStatistics.Percentile(sorted, 0.99), ms.Average());
    }

    // Unseeded requests take the session's seed; seeded ones carry their own. Both may share batches. A vision
    // policy's request carries its frames as raw HWC uint8 images, as the robot client sends them.
    private PlanRequest Request(ObservationWindow window, int timestep, string session, long? seed = null) =>
        PlanningMessages.Request(policyId, session, window.Steps, timestep, seed);

    /// <summary>
    /// A real observation: the task's initial state (and, for a vision policy, its rendered pixel observation),
    /// repeated To times as at the start of an episode.
    /// </summary>
    public static ObservationWindow Window(TrainedPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var env = SimTasks.Create(policy.Config.Task, policy.Config.Observation);
        var state = env.Reset(0);
        Observation obs;
        if (policy.Cameras.Count > 0) obs = PixelObservations.Observe(env, policy.Cameras);
        else
        {
            if (state.Length != policy.Config.Policy.ObsDim) state = new double[policy.Config.Policy.ObsDim];
            obs = Observation.FromState(state);
        }
        return new ObservationWindow([.. Enumerable.Range(0, policy.Config.Policy.ObsSteps).Select(_ => obs)]);
    }

    private static string Name(Policy.PolicyEngine engine) => engine.ToString().ToLowerInvariant();

    private static string LoadAverage()
    {
        const string path = "/proc/loadavg";
        return File.Exists(path) ? string.Join(" ", File.ReadAllText(path).Split(' ').Take(3)) : "n/a";
    }

    /// <summary>The Markdown report.</summary>
    public static string Markdown(TrainedPolicy policy, string source, ServeBenchmarkConfig config, IReadOnlyList<LatencyRow> latency,
        IReadOnlyList<ThroughputRow> throughput, int threads, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(latency);
        ArgumentNullException.ThrowIfNull(throughput);
        var c = policy.Config;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Serving benchmark: planning latency and throughput");
        sb.AppendLine();
        sb.AppendLine(inv, $"Produced by `immiscible bench serve` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {elapsed.TotalSeconds:F0} s.");
        sb.AppendLine();
        sb.AppendLine("## Setup");
        sb.AppendLine();
        sb.AppendLine(inv, $"- Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, libtorch CPU with {threads} intra-op threads per planning thread. Load average at the end of the run: {LoadAverage()} (other jobs share the cores, so treat differences below ~20 % as noise).");
        sb.AppendLine(inv, $"- Policy: {source}; task {c.Task}, U-Net widths [{string.Join(", ", c.Policy.Unet.DownDims)}] ({policy.Network.ParameterCount:N0} parameters), To = {c.Policy.ObsSteps}, Tp = {c.Policy.Horizon}, Ta = {c.Policy.ActionSteps}, Do = {c.Policy.ObsDim}, Da = {c.Policy.ActionDim}; {c.Sampler} with {c.InferenceSteps} denoising steps. Latency does not depend on how well the weights are trained.");
        if (policy.Cameras.Count > 0)
            sb.AppendLine(inv, $"- Vision policy: cameras [{string.Join(", ", policy.Cameras.Select(k => $"{k.Name} {k.ShapeText}"))}]; every request carries To x {policy.Cameras.Count} frame(s) of the task's rendered pixel observation as raw HWC uint8 `PlanRequest.images` ({c.Policy.ObsSteps * policy.Cameras.Sum(k => k.FrameBytes):N0} bytes), as the robot client sends them; the in-process row plans the same `ObservationWindow`.");
        sb.AppendLine("- Server: `PlanningServerHost` in the same process on an ephemeral loopback port, h2c, telemetry off; one gRPC channel (HTTP/2 connection) per client. Client and server share the CPU.");
        sb.AppendLine(inv, $"- Client rows send no seed (the server uses the session's seed); seeded rows carry a seed per request like the demo's sync robots. Every request draws its noise from its own seed, so seeded and unseeded requests share batches alike and batching never changes a reply. Batching on = max batch {config.MaxBatch}, max wait {config.MaxWaitMs} ms; off = max batch 1.");
        sb.AppendLine();
        sb.AppendLine(inv, $"## Latency, one sequential client ({config.LatencySamples} plans after 20 warm-up)");
        sb.AppendLine();
        sb.AppendLine("| engine | path | p50 ms | p99 ms | mean ms |");
        sb.AppendLine("|---|---|---:|---:|---:|");
        foreach (var r in latency) sb.AppendLine(inv, $"| {Name(r.Engine)} | {r.Path} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MeanMs:F2} |");
        sb.AppendLine();
        sb.AppendLine(inv, $"## Throughput ({config.ThroughputSeconds} s per cell, closed loop: each client sends its next plan when the previous reply arrives)");
        sb.AppendLine();
        sb.AppendLine("| engine | batching | clients | plans/s | p50 ms | p99 ms | mean batch |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in throughput)
            sb.AppendLine(inv, $"| {Name(r.Engine)} | {(r.Batching ? "on" : "off")} | {r.Clients}{(r.Seeded ? " seeded robots" : "")} | {r.PlansPerSecond:F1} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MeanBatch:F2} |");
        sb.AppendLine();
        foreach (var r in throughput.Where(r => r.Seeded))
        {
            // The in-process row of the same engine: the first latency row measured with it.
            if (latency.FirstOrDefault(l => l.Engine == r.Engine) is not { } inProcess) continue;
            sb.AppendLine(inv, $"Seeded robots, {Name(r.Engine)} engine, batching {(r.Batching ? "on" : "off")}: round trip p50 {r.P50Ms:F1} ms = {r.P50Ms / inProcess.P50Ms:F2} x one in-process plan ({inProcess.P50Ms:F1} ms), measured in this run.");
        }
        sb.AppendLine();
        sb.AppendLine("## Reading it");
        sb.AppendLine();
        sb.AppendLine("- gRPC minus in-process latency is the cost of the wire (protobuf, HTTP/2 on loopback, the hop to the inference thread). With batching on, a lone client also pays up to the batching window while its request waits for company.");
        sb.AppendLine("- Without batching the worker plans one window per network call, so plans/s stays flat as clients are added and latency grows with the queue. With batching, concurrent requests share one U-Net call per denoising step, which is much cheaper per window on CPU; plans/s grows with clients until a batch's compute dominates.");
        sb.AppendLine("- libtorch's OpenMP thread count is per calling thread: a thread that never called `TorchRuntime.Configure` does not get the configured count. The server's workers therefore configure their own thread; in a smoke run on this oversubscribed machine, PlanChunks on the thread that had configured 2 threads took 568 ms p50 against 139 ms on a fresh thread, and about 100 ms on both with `--threads 1`, which is why this report uses `--threads 1`.");
        sb.AppendLine("- For reference (REFERENCE.md section 4): DDIM 10 steps takes about 0.1 s on an RTX 3080 for the image-based Diffusion Policy; no public CPU figure for the low-dim U-Net exists.");
        sb.AppendLine();
        sb.AppendLine("Rerun: `dotnet run --project src/ImmisciblePolicy.Cli -c Release -- bench serve --threads 1 --out docs/benchmarks/serve.md` (add `--checkpoint DIR` to measure a trained checkpoint).");
        return sb.ToString();
    }
}
