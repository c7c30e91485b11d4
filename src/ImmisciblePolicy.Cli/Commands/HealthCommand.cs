using System.CommandLine;
using ImmisciblePolicy.Robots.Planning;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible health</c>: one grpc.health.v1 Check against a planning server; exit code 0 when SERVING,
/// 1 otherwise. The containers' HEALTHCHECK (grpc_health_probe cannot be fetched here).
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "planning server URL", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
        var service = new Option<string>("--service") { Description = "service name to check (\"\" = the whole server)", DefaultValueFactory = _ => "" };
        var timeout = new Option<double>("--timeout") { Description = "seconds to wait for the answer", DefaultValueFactory = _ => 3.0 };
        var cmd = new Command("health", "Check a planning server's gRPC health (exit 0 = SERVING).") { server, service, timeout };
        cmd.SetAction(async (parse, ct) =>
        {
            var probe = await ServerHealth.ProbeAsync(parse.GetValue(server)!, parse.GetValue(service)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
            Console.WriteLine($"{parse.GetValue(server)}: {probe.Status}");
            return probe.Healthy ? 0 : 1;
        });
        return cmd;
    }
}
