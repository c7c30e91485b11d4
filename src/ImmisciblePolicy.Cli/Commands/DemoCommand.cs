using System.CommandLine;
using System.Globalization;
using System.Text;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary>
/// <c>immiscible demo</c>: the main job on embedded defaults. Records expert demonstrations (for Push-T bimodal ones:
/// the expert turns the T clockwise or counter-clockwise, 50/50, labelled per episode), trains a small
/// Diffusion Policy with KNN noise selection, scores it in closed loop against a random baseline, then serves
/// the checkpoint from an in-process gRPC server on a free loopback port and drives simulated robots through
/// it with telemetry flowing into a recorder (a LeRobot dataset of the robots' episodes), and writes a report
/// with curves, rollout GIFs, the mode shares of demonstrations and rollouts, and the served scores with latencies.
/// Sized for minutes on 2 CPU cores; every size is a flag.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var task = CommonOptions.Task();
        var episodes = new Option<int>("--episodes") { Description = "demonstration episodes", DefaultValueFactory = _ => 200 };
        var steps = new Option<long>("--steps") { Description = "training steps", DefaultValueFactory = _ => 4000L };
        var evalEpisodes = new Option<int>("--eval-episodes") { Description = "closed-loop test episodes", DefaultValueFactory = _ => 50 };
        var method = CommonOptions.Method();
        var k = CommonOptions.K();
        var threads = CommonOptions.Threads();
        var quick = new Option<bool>("--quick") { Description = "a one-minute smoke run: bimodal task, few steps" };
        var robots = new Option<int>("--robots") { Description = "simulated robots driven through the gRPC server (0 = skip serving)", DefaultValueFactory = _ => 4 };
        var cmd = new Command("demo", "End to end on defaults: demonstrations -> immiscible training -> closed-loop evaluation -> report.")
        {
            output, task, episodes, steps, evalEpisodes, method, k, threads, quick, robots,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            TorchRuntime.Configure(parse.GetValue(threads));
            bool q = parse.GetValue(quick);
            var kind = q ? SimTaskKind.Bimodal : SimTasks.Parse(parse.GetValue(task)!);
            int nEpisodes = q ? 40 : parse.GetValue(episodes);
            long nSteps = q ? 300 : parse.GetValue(steps);
            int nEval = q ? 20 : parse.GetValue(evalEpisodes);
            var root = parse.GetValue(output)!;
            Directory.CreateDirectory(root);
            var started = DateTime.UtcNow;

            var dataDir = Path.Combine(root, "data");
            var demo = await DataCommand.GenerateAsync(kind, nEpisodes, dataDir, 0, onlySuccessful: false, ct);

            var config = new PolicyRunConfig
            {
                Task = kind,
                Noise = new NoiseAssignmentConfig { Method = parse.GetValue(method), K = parse.GetValue(k) },
                // A narrower U-Net than the 64/128/256 default: about 4x cheaper per step, so a 2-core run takes minutes.
                Policy = new Policy.DiffusionPolicyConfig { Unet = new Policy.Networks.UnetConfig { DownDims = [32, 64, 128], DiffusionStepEmbedDim = 32 } },
                Trainer = new TrainerConfig
                {
                    Steps = nSteps, BatchSize = 64, CheckpointEvery = Math.Max(100, nSteps / 4),
                    Optimizer = new OptimizerConfig { LearningRate = 1e-3, WarmupSteps = Math.Min(500, nSteps / 10) },
                },
            };
            var ckpt = Path.Combine(root, "checkpoint");
            using var policy = PolicyWorkflow.Train(config, demo.Dataset, ckpt, evalEvery: 0, evalEpisodes: 0, resume: true, ct);

            var evalDir = Path.Combine(root, "eval");
            var evalConfig = new EvaluationConfig(nEval, GifEpisodes: 3, GifDirectory: evalDir).For(policy.Config);
            var trained = PolicyWorkflow.Evaluate(policy, kind, evalConfig, evalDir, $"diffusion policy ({config.Noise.Method})", ct);
            var random = PolicyWorkflow.Evaluate(new RandomPlanner(config.Policy.ActionSteps), kind, evalConfig with { GifEpisodes = 0 },
                Path.Combine(evalDir, "random"), "random baseline", ct);

            var served = parse.GetValue(robots) > 0
                ? await DemoServing.RunAsync(kind, ckpt, root, parse.GetValue(robots), nEval, parse.GetValue(threads), ct)
                : null;

            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"# ImmisciblePolicy demo ({kind})");
            report.AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture, $"- demonstrations: {demo.Dataset.Episodes.Count} expert episodes, {demo.Dataset.TotalFrames} frames, expert success {demo.SuccessRate:P1} ({demo.SecondsPerEpisode:F2} s/episode)");
            if (demo.Modes.Count > 0)
                report.AppendLine("- demonstration modes: " + string.Join(", ", demo.Modes.Select(m => string.Create(CultureInfo.InvariantCulture,
                    $"{m.Mode} {m.Episodes} episodes ({m.Episodes / (double)demo.Dataset.Episodes.Count:P0}, expert success {m.SuccessRate:P0}, classifier agrees {m.ClassifierAgreement:P0})"))));
            report.AppendLine(CultureInfo.InvariantCulture, $"- training: {nSteps} steps, batch {config.Trainer.BatchSize}, noise {config.Noise.Method} (k = {config.Noise.K}), U-Net [{string.Join(", ", config.Policy.Unet.DownDims)}]");
            report.AppendLine(CultureInfo.InvariantCulture, $"- sampler: {config.Sampler} with {config.InferenceSteps} steps");
            report.AppendLine(CultureInfo.InvariantCulture, $"- wall clock: {CommonOptions.Clock(DateTime.UtcNow - started)}");
            report.AppendLine();
            report.AppendLine(PolicyWorkflow.Markdown(trained, "diffusion policy"));
            report.AppendLine(PolicyWorkflow.Markdown(random, "random baseline"));
            if (served is not null) report.AppendLine(served);
            report.AppendLine("Files: `checkpoint/` (config.json, model.safetensors, normalisers), `checkpoint/loss.png`, `eval/*.gif`, `eval/eval.json`.");
            PolicyWorkflow.AtomicWrite(Path.Combine(root, "report.md"), report.ToString());
            Console.WriteLine($"Report: {Path.Combine(root, "report.md")}");
            return trained.Score > random.Score ? 0 : 2;
        });
        return cmd;
    }
}
