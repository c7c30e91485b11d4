using System.CommandLine;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible serve</c>: the planning server (gRPC PlanningService + ZeroMQ telemetry) over every
/// checkpoint in a directory, until Ctrl+C. Keys can come from IMMISCIBLE_API_KEY / IMMISCIBLE_ADMIN_KEY so
/// they do not show in process lists.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var policies = new Option<string>("--policies") { Description = "directory whose sub-directories are policy checkpoints", Required = true };
        var urls = new Option<string>("--urls") { Description = "listen address (loopback by default; https needs --cert)", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
        var telemetry = new Option<string>("--telemetry") { Description = "ZeroMQ PUB endpoint for plan/metrics telemetry, or 'off'", DefaultValueFactory = _ => "tcp://127.0.0.1:5556" };
        var telemetryIn = new Option<string?>("--telemetry-in") { Description = "ZeroMQ SUB endpoint robots publish obs/executed to (relayed onto --telemetry)" };
        var maxBatch = new Option<int>("--max-batch") { Description = "most requests per network call (1 = no batching)", DefaultValueFactory = _ => 32 };
        var maxWait = new Option<double>("--max-wait-ms") { Description = "how long a batch waits for company", DefaultValueFactory = _ => 2.0 };
        var queue = new Option<int>("--queue") { Description = "waiting requests per policy before RESOURCE_EXHAUSTED", DefaultValueFactory = _ => 256 };
        var apiKey = new Option<string?>("--api-key") { Description = "require this x-api-key on planning calls (default: IMMISCIBLE_API_KEY)" };
        var adminKey = new Option<string?>("--admin-key") { Description = "enable LoadPolicy/UnloadPolicy with this x-admin-key (default: IMMISCIBLE_ADMIN_KEY)" };
        var cert = new Option<string?>("--cert") { Description = "PKCS#12 certificate for https --urls" };
        var certPassword = new Option<string?>("--cert-password") { Description = "password of --cert" };
        var maxMessage = new Option<double>("--max-message-mb")
        {
            Description = "largest gRPC message received or sent, in MiB (default 16: two 640x480 RGB cameras x 2 steps fit)",
            DefaultValueFactory = _ => PlanningServerOptions.DefaultMaxMessageBytes / (1024.0 * 1024.0),
        };
        var policyRoots = new Option<string[]>("--allow-policy-root")
        {
            Description = "another directory LoadPolicy may read checkpoints from (repeatable; default: only --policies)",
            AllowMultipleArgumentsPerToken = false,
        };
        var threads = CommonOptions.Threads();
        var engine = CommonOptions.Engine();
        var device = CommonOptions.Device();
        var cmd = new Command("serve", "Serve policy checkpoints to robots over gRPC, with telemetry over ZeroMQ.")
        {
            policies, urls, telemetry, telemetryIn, maxBatch, maxWait, queue, apiKey, adminKey, cert, certPassword, maxMessage, policyRoots, threads,
            engine, device,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var endpoint = parse.GetValue(telemetry)!;
            double megabytes = parse.GetValue(maxMessage);
            if (!(megabytes >= 0.001 && megabytes <= 2047))
                return Fail(parse, $"--max-message-mb must be between 0.001 and 2047; got {megabytes}");
            var options = new PlanningServerOptions
            {
                PoliciesDirectory = parse.GetValue(policies)!,
                Url = parse.GetValue(urls)!,
                TelemetryEndpoint = string.Equals(endpoint, "off", StringComparison.OrdinalIgnoreCase) ? null : endpoint,
                TelemetryInEndpoint = parse.GetValue(telemetryIn),
                MaxBatch = parse.GetValue(maxBatch),
                MaxWaitMs = parse.GetValue(maxWait),
                QueueCapacity = parse.GetValue(queue),
                ApiKey = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("IMMISCIBLE_API_KEY"),
                AdminKey = parse.GetValue(adminKey) ?? Environment.GetEnvironmentVariable("IMMISCIBLE_ADMIN_KEY"),
                CertificatePath = parse.GetValue(cert),
                CertificatePassword = parse.GetValue(certPassword),
                TorchThreads = parse.GetValue(threads),
                MaxMessageBytes = (int)Math.Round(megabytes * 1024 * 1024),
                ExtraPolicyRoots = parse.GetValue(policyRoots) ?? [],
                Engine = parse.GetValue(engine),
                Onnx = CommonOptions.OnnxOptions(parse.GetValue(threads) ?? 1, parse.GetValue(device)),
            };
            RunningPlanningServer server;
            try
            {
                server = await PlanningServerHost.StartAsync(options, cancellationToken: ct);
            }
            catch (ArgumentException e)
            {
                // Bad configuration (missing --cert, wrong --cert-password, ...): one line, no stack trace.
                return Fail(parse, e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
            }
            catch (IOException e)
            {
                // Typically the address is in use.
                return Fail(parse, $"could not listen on {options.Url}: {e.Message}");
            }
            await using var running = server;
            Console.WriteLine($"Serving {server.Registry.All.Count} policies on {server.Address} (gRPC, HTTP/2; {options.Engine} engine)");
            foreach (var p in server.Registry.All)
            {
                var d = p.Description;
                string cameras = d.Cameras.Count == 0 ? "" : $" + cameras [{string.Join(", ", d.Cameras.Select(c => $"{c.Name} {c.Height}x{c.Width}x{c.Channels}"))}]";
                Console.WriteLine($"  {d.Id}: {d.Task}, obs {d.ObservationSteps}x{d.ObservationSize}{cameras}, actions {d.ActionSteps}/{d.Horizon}x{d.ActionSize}, " +
                                  $"{d.DefaultSampler} {d.DefaultSteps} steps, step {d.Version.Step}, weights {d.Version.Hash}");
            }
            Console.WriteLine(server.Telemetry.Hub is { } hub
                ? $"Telemetry on {hub.Endpoint}" + (hub.RelayEndpoint is { } relay ? $", robots publish to {relay}" : "")
                : "Telemetry off");
            Console.WriteLine("Ctrl+C to stop.");
            try
            {
                await server.WaitForShutdownAsync(ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: dispose below stops the server cleanly.
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Exit code of a configuration error (the usage-error code of System.CommandLine and sysexits' EX_USAGE family).</summary>
    public const int ConfigurationError = 2;

    private static int Fail(ParseResult parse, string message)
    {
        var error = parse.InvocationConfiguration.Error;
        error.WriteLine($"immiscible serve: error: {message}");
        return ConfigurationError;
    }
}
