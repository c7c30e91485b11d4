using System.CommandLine;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary><c>immiscible eval</c>: closed-loop scores of a checkpoint with Diffusion Policy's and LeRobot's protocols.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "policy checkpoint directory", Required = true };
        var episodes = new Option<int>("--episodes") { Description = "test episodes (Diffusion Policy: 50)", DefaultValueFactory = _ => 50 };
        var firstSeed = new Option<long>("--first-seed") { Description = "seed of the first test episode", DefaultValueFactory = _ => 100_000L };
        var gifs = new Option<int>("--gifs") { Description = "render the first N episodes as GIFs", DefaultValueFactory = _ => 4 };
        var output = new Option<string?>("--out") { Description = "where eval.md/json and GIFs go (default: <checkpoint>/eval)" };
        var steps = new Option<int?>("--inference-steps") { Description = "override the checkpoint's denoising steps" };
        var random = new Option<bool>("--random-baseline") { Description = "also score a uniformly random planner" };
        var episodewise = new Option<bool>("--episodewise")
        {
            Description = "plan each episode on its own with per-episode seeds (slower; reproduces `sim run` sync robots exactly)",
        };
        var threads = CommonOptions.Threads();
        var engine = CommonOptions.Engine();
        var device = CommonOptions.Device();
        var cmd = new Command("eval", "Score a policy checkpoint in closed loop.") { checkpoint, episodes, firstSeed, gifs, output, steps, random, episodewise, threads, engine, device };
        cmd.SetAction((parse, ct) =>
        {
            int torchThreads = TorchRuntime.Configure(parse.GetValue(threads));
            var dir = parse.GetValue(checkpoint)!;
            var outDir = parse.GetValue(output) ?? Path.Combine(dir, "eval");
            using var policy = PolicyCheckpoint.Load(dir, parse.GetValue(engine), CommonOptions.OnnxOptions(torchThreads, parse.GetValue(device)));
            IActionChunkPlanner planner = parse.GetValue(steps) is int n ? new StepOverride(policy, n) : policy;
            // The checkpoint says which Push-T observation layout it was trained on and what mode mix its demonstrations had.
            var config = new EvaluationConfig(parse.GetValue(episodes), parse.GetValue(firstSeed), GifEpisodes: parse.GetValue(gifs), GifDirectory: outDir)
                .For(policy.Config);
            if (parse.GetValue(episodewise))
            {
                var result = Robots.EpisodewiseEvaluation.Evaluate(planner, policy.Config.Task, config.Episodes, config.FirstSeed,
                    CommonOptions.Counter("episodes"), ct, config);
                var md = PolicyWorkflow.Markdown(result, $"{dir} (step {policy.Step}, episodewise)");
                Console.WriteLine(md);
                Directory.CreateDirectory(outDir);
                PolicyWorkflow.AtomicWrite(Path.Combine(outDir, "eval-episodewise.md"), md);
            }
            else
            {
                PolicyWorkflow.Evaluate(planner, policy.Config.Task, config, outDir, $"{dir} (step {policy.Step})", ct);
            }
            if (parse.GetValue(random))
                PolicyWorkflow.Evaluate(new RandomPlanner(policy.Config.Policy.ActionSteps), policy.Config.Task, config with { GifEpisodes = 0 },
                    Path.Combine(outDir, "random"), "random baseline", ct);
            return Task.FromResult(0);
        });
        return cmd;
    }

    private sealed class StepOverride(TrainedPolicy policy, int steps) : IActionChunkPlanner
    {
        public int ObservationSteps => policy.ObservationSteps;

        public double[][][] Plan(IReadOnlyList<double[][]> windows, long seed) => policy.PlanChunks(windows, seed, steps).Actions;
    }
}
