using System.CommandLine;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks.Vision;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary><c>immiscible train</c>: a Diffusion Policy from a demonstration dataset, with immiscible noise pairing.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "dataset directory (LeRobot v3 layout); or use --demos" };
        var demos = new Option<int>("--demos")
        {
            Description = "instead of --data: record this many scripted-expert episodes of --task in memory (seeds 0..N-1), with pixel observations when --obs image",
            DefaultValueFactory = _ => 0,
        };
        var obs = new Option<string>("--obs")
        {
            Description = "observations: 'state' (the task's state vector), 'image' (agent position + camera frames: the vision policy) or 'auto' (image when the dataset has image features)",
            DefaultValueFactory = _ => "auto",
        };
        var recipe = new Option<string>("--vision")
        {
            Description = "vision encoder: 'cpu' (quarter-width ResNet-10-like trunk, 48 x 48 frames cropped to 42) or 'published' (LeRobot's ResNet-18, 96 cropped to 84)",
            DefaultValueFactory = _ => "cpu",
        };
        var output = new Option<string>("--out") { Description = "checkpoint directory (resumed if it exists)", Required = true };
        var task = CommonOptions.Task();
        // CPU recipe measured on Push-T (docs/results/pusht.md): 10k steps of batch 64 at lr 1e-3 on a 32/64/128 U-Net.
        var steps = new Option<long>("--steps") { Description = "optimiser steps", DefaultValueFactory = _ => 10_000L };
        var batch = new Option<int>("--batch-size") { Description = "batch size", DefaultValueFactory = _ => new TrainerConfig().BatchSize };
        var lr = new Option<double>("--lr") { Description = "peak learning rate (published: 1e-4 at batch 256 for thousands of epochs)", DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<long>("--lr-warmup") { Description = "learning-rate warm-up steps", DefaultValueFactory = _ => 500L };
        var seed = new Option<long>("--seed") { Description = "run seed", DefaultValueFactory = _ => 0L };
        var widths = new Option<string>("--widths") { Description = "U-Net channel widths per level (published: 256,512,1024)", DefaultValueFactory = _ => "32,64,128" };
        var embed = new Option<int>("--step-embed") { Description = "diffusion-step embedding size (published: 256)", DefaultValueFactory = _ => 32 };
        var method = CommonOptions.Method();
        var k = CommonOptions.K();
        var conditionWeight = CommonOptions.ConditionWeight();
        var scale = CommonOptions.DataScale();
        var noiseWarmup = CommonOptions.WarmupSteps();
        var standardize = new Option<bool>("--standardize-cost") { Description = "linear assignment (plain or observation-aware): standardise each action coordinate for the cost" };
        var evalEvery = new Option<long>("--eval-every") { Description = "closed-loop evaluation every N steps (0 = off)", DefaultValueFactory = _ => 0L };
        var evalEpisodes = new Option<int>("--eval-episodes") { Description = "episodes per periodic evaluation", DefaultValueFactory = _ => 20 };
        var ckptEvery = new Option<long>("--checkpoint-every") { Description = "checkpoint every N steps", DefaultValueFactory = _ => 500L };
        var threads = CommonOptions.Threads();
        var noResume = new Option<bool>("--no-resume") { Description = "start over even if --out holds a checkpoint" };
        var cmd = new Command("train", "Train a Diffusion Policy (ConditionalUnet1D) on demonstrations.")
        {
            data, demos, obs, recipe, output, task, steps, batch, lr, warmup, seed, widths, embed, method, k, conditionWeight, scale, noiseWarmup, standardize, evalEvery, evalEpisodes,
            ckptEvery, threads, noResume,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            TorchRuntime.Configure(parse.GetValue(threads));
            var kind = SimTasks.Parse(parse.GetValue(task)!);
            var (encoder, imageSize) = VisionRecipe(parse.GetValue(recipe)!);
            string mode = parse.GetValue(obs)!.Trim().ToLowerInvariant();
            if (mode is not ("auto" or "state" or "image"))
                throw new ArgumentException($"--obs expects 'auto', 'state' or 'image'; got '{mode}'");
            DemonstrationDataset dataset;
            if (parse.GetValue(data) is { } path)
            {
                dataset = await LeRobotDatasetReader.ReadAsync(path, ct);
            }
            else if (parse.GetValue(demos) is > 0 and var count)
            {
                Console.WriteLine($"Recording {count} {kind} expert episodes in memory{(mode == "image" ? $" with {imageSize} x {imageSize} pixel observations" : "")} ...");
                dataset = DemonstrationGenerator.Generate(kind, count, 0, progress: CommonOptions.Counter("episodes"), cancellationToken: ct,
                    imageSize: mode == "image" ? imageSize : null).Dataset;
            }
            else
            {
                throw new ArgumentException("pass --data DIR (a LeRobot v3 dataset) or --demos N (record N expert episodes in memory)");
            }
            bool vision = mode == "image" || (mode == "auto" && dataset.ImageFeatures.Count > 0);
            if (vision && !dataset.StateNames.SequenceEqual(PixelObservations.StateNames))
            {
                // Eval observes PixelObservations (agent position + observation image): train on the same state.
                Console.WriteLine($"Vision policy: observation.state reduced from [{string.Join(", ", dataset.StateNames)}] to the agent position " +
                                  $"[{string.Join(", ", PixelObservations.StateNames)}], as the pixel observation gives it in closed loop.");
                dataset = PixelObservations.Project(dataset);
            }
            var config = new PolicyRunConfig
            {
                Task = SimTasks.Parse(parse.GetValue(task)!),
                Noise = new NoiseAssignmentConfig
                {
                    Method = parse.GetValue(method), K = parse.GetValue(k), DataScale = parse.GetValue(scale),
                    WarmupSteps = parse.GetValue(noiseWarmup), StandardizeForCost = parse.GetValue(standardize),
                    ConditionWeight = parse.GetValue(conditionWeight),
                },
                Trainer = new TrainerConfig
                {
                    Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), Seed = parse.GetValue(seed),
                    CheckpointEvery = parse.GetValue(ckptEvery),
                    Optimizer = new OptimizerConfig { LearningRate = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup) },
                },
            };
            config = WithWidths(config, parse.GetValue(widths)!, parse.GetValue(embed));
            if (vision)
                config = config with { Task = kind, Policy = config.Policy with { Vision = new VisionConfig { Encoder = encoder } } };
            using var policy = PolicyWorkflow.Train(config, dataset, parse.GetValue(output)!, parse.GetValue(evalEvery),
                parse.GetValue(evalEpisodes), !parse.GetValue(noResume), ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>The encoder and observation image size of a --vision recipe.</summary>
    public static (RgbEncoderConfig Encoder, int ImageSize) VisionRecipe(string name) => name.Trim().ToLowerInvariant() switch
    {
        "cpu" => (RgbEncoderConfig.CpuRecipe, 48),
        "published" => (RgbEncoderConfig.Published, 96),
        _ => throw new ArgumentException($"--vision expects 'cpu' or 'published'; got '{name}'"),
    };

    /// <summary>Applies a "64,128,256" width list and step-embedding size to the U-Net config.</summary>
    public static PolicyRunConfig WithWidths(PolicyRunConfig config, string widths, int stepEmbed)
    {
        int[] dims;
        try
        {
            dims = widths.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--widths expects comma-separated integers such as 64,128,256; got '{widths}'", nameof(widths));
        }
        return config with { Policy = config.Policy with { Unet = config.Policy.Unet with { DownDims = dims, DiffusionStepEmbedDim = stepEmbed } } };
    }
}
