using System.CommandLine;
using System.Text;
using ImmisciblePolicy.Cli.Benchmarks;
using ImmisciblePolicy.Sim.Rendering;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible bench physics</c>: the managed Push-T physics (a port of Chipmunk2D 7.0.3) against Debian's
/// libchipmunk7 on the same states and actions, and the speed of both (<see cref="PhysicsBenchmark"/>).
/// </summary>
internal static class BenchPhysicsCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "200 single steps and 20 episodes (a smoke run)" };
        var steps = new Option<int?>("--single-steps") { Description = "random states compared after one control step (default 1000)" };
        var episodes = new Option<int?>("--episodes") { Description = "expert episodes replayed in both engines (default 200)" };
        var firstSeed = new Option<long>("--first-seed") { Description = "seed of the first episode", DefaultValueFactory = _ => 100_000L };
        var seconds = new Option<double>("--seconds") { Description = "duration of each speed measurement", DefaultValueFactory = _ => 5.0 };
        var output = new Option<string>("--out") { Description = "Markdown report", DefaultValueFactory = _ => Path.Combine("docs", "benchmarks", "pusht-physics.md") };
        var cmd = new Command("physics", "Managed Push-T physics vs libchipmunk7: single steps, replayed expert episodes, error growth, speed.")
        {
            quick, steps, episodes, firstSeed, seconds, output,
        };
        cmd.SetAction(parse =>
        {
            bool isQuick = parse.GetValue(quick);
            var config = new PhysicsBenchmarkConfig(
                SingleSteps: parse.GetValue(steps) ?? (isQuick ? 200 : 1000),
                Episodes: parse.GetValue(episodes) ?? (isQuick ? 20 : 200),
                FirstSeed: parse.GetValue(firstSeed),
                SpeedSeconds: parse.GetValue(seconds));
            if (config.SingleSteps < 1 || config.Episodes < 1 || config.SpeedSeconds <= 0)
            {
                Console.Error.WriteLine($"--single-steps and --episodes must be at least 1 and --seconds positive; received {config.SingleSteps}, {config.Episodes}, {config.SpeedSeconds}");
                return 2;
            }

            var started = DateTime.UtcNow;
            string markdown;
            try
            {
                markdown = PhysicsBenchmark.Run(config, m => Console.WriteLine($"[{DateTime.UtcNow - started:mm\\:ss}] {m}"));
            }
            catch (DllNotFoundException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }

            string path = parse.GetValue(output)!;
            AtomicFile.WriteAllBytes(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(markdown));
            Console.WriteLine(markdown);
            Console.WriteLine($"Wrote {path}");
            return 0;
        });
        return cmd;
    }
}
