using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImmisciblePolicy.Study;
using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Data;
using ImmisciblePolicy.Images.Diffusion;
using ImmisciblePolicy.Images.Latent;
using ImmisciblePolicy.Images.Metrics;
using ImmisciblePolicy.Images.Networks;
using ImmisciblePolicy.Images.Output;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary><c>immiscible image train|sample|edit|eval</c>: image diffusion on Fashion-MNIST or a folder of images.</summary>
internal static class ImageCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create() => new("image", "Image generation and editing with immiscible diffusion (Fashion-MNIST or your own images).")
    {
        Train(), Sample(), Edit(), Eval(),
    };

    private static Option<string> DataOption() => new("--data")
    {
        Description = "'fashion-mnist' (Debian package dataset-fashion-mnist) or a folder of PNG/JPEG images (sub-folders = classes)",
        DefaultValueFactory = _ => "fashion-mnist",
    };

    private static Option<int> SizeOption() => new("--size") { Description = "image folder: resize to this many pixels square", DefaultValueFactory = _ => 28 };

    private static Option<int> ChannelsOption() => new("--channels") { Description = "image folder: 1 = grayscale, 3 = RGB", DefaultValueFactory = _ => 1 };

    private static Option<ImageSamplerKind?> SamplerOption() => new("--sampler") { Description = "Ddpm, Ddim, FlowEuler or FlowHeun (default: Ddim / FlowEuler by objective)" };

    private static Option<int> StepsOption() => new("--sample-steps") { Description = "denoising steps", DefaultValueFactory = _ => 50 };

    private static Option<double> EtaOption() => new("--eta") { Description = "DDIM eta (0 = deterministic)", DefaultValueFactory = _ => 0.0 };

    private static Option<double> GuidanceOption() => new("--guidance") { Description = "classifier-free guidance scale (1 = plain conditional)", DefaultValueFactory = _ => 2.0 };

    private static Option<long> SeedOption() => new("--seed") { Description = "seed", DefaultValueFactory = _ => 0L };

    private static ImageDataset LoadData(string data, DatasetSplit split, int size, int channels) =>
        data.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase) ? FashionMnist.Load(split) : ImageFolderDataset.Load(data, size, channels);

    private static SamplingOptions Options(ParseResult p, Option<ImageSamplerKind?> kind, Option<int> steps, Option<double> eta, Option<double> guidance) =>
        new() { Kind = p.GetValue(kind), Steps = p.GetValue(steps), Eta = p.GetValue(eta), GuidanceScale = p.GetValue(guidance) };

    private static Command Train()
    {
        var data = DataOption();
        var size = SizeOption();
        var channels = ChannelsOption();
        var output = new Option<string>("--out") { Description = "checkpoint directory (resumed if it exists)", Required = true };
        var defaults = new ImageRunConfig();
        var steps = new Option<long>("--steps") { Description = "optimiser steps", DefaultValueFactory = _ => defaults.Trainer.Steps };
        var batch = new Option<int>("--batch-size") { Description = "batch size", DefaultValueFactory = _ => defaults.Trainer.BatchSize };
        var lr = new Option<double>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => defaults.Trainer.Optimizer.LearningRate };
        var warmup = new Option<long>("--lr-warmup") { Description = "learning-rate warm-up steps", DefaultValueFactory = _ => defaults.Trainer.Optimizer.WarmupSteps };
        var seed = SeedOption();
        var objective = new Option<DiffusionObjective>("--objective") { Description = "Ddpm (epsilon) or FlowMatching (velocity)", DefaultValueFactory = _ => defaults.Objective };
        var widths = new Option<string>("--widths") { Description = "U-Net channels per level", DefaultValueFactory = _ => string.Join(",", defaults.Unet.Channels) };
        var noAttention = new Option<bool>("--no-attention") { Description = "drop the middle self-attention" };
        var method = CommonOptions.Method();
        var k = new Option<int>("--k") { Description = "KNN candidates per image (8 was best for DDIM CIFAR-10)", DefaultValueFactory = _ => 8 };
        var scale = CommonOptions.DataScale();
        var noiseWarmup = CommonOptions.WarmupSteps();
        var poolTo = new Option<int?>("--pool-to") { Description = "score noise candidates on images average-pooled to N x N" };
        var dropout = new Option<double>("--label-dropout") { Description = "probability of training a label as the null class", DefaultValueFactory = _ => defaults.LabelDropout };
        var subset = new Option<int?>("--subset") { Description = "train on the first N images only" };
        var ckptEvery = new Option<long>("--checkpoint-every") { Description = "checkpoint every N steps", DefaultValueFactory = _ => defaults.Trainer.CheckpointEvery };
        var grid = new Option<int>("--grid") { Description = "samples in the final PNG grid (0 = none)", DefaultValueFactory = _ => 100 };
        var threads = CommonOptions.Threads();
        var noResume = new Option<bool>("--no-resume") { Description = "start over even if --out holds a checkpoint" };
        var latent = new Option<bool>("--latent") { Description = "latent diffusion: train an autoencoder, then diffuse (and pair noise) in its latent space" };
        var aeSteps = new Option<int>("--autoencoder-steps") { Description = "autoencoder training steps (--latent)", DefaultValueFactory = _ => new AutoencoderConfig().Steps };
        var cmd = new Command("train", "Train an image diffusion model (UNet2D) with immiscible noise pairing.")
        {
            data, size, channels, output, steps, batch, lr, warmup, seed, objective, widths, noAttention, method, k, scale, noiseWarmup, poolTo,
            dropout, subset, ckptEvery, grid, threads, noResume, latent, aeSteps,
        };
        cmd.SetAction(p => Guarded(() =>
        {
            TorchRuntime.Configure(p.GetValue(threads));
            var dataset = LoadData(p.GetValue(data)!, DatasetSplit.Train, p.GetValue(size), p.GetValue(channels));
            if (p.GetValue(subset) is int n) dataset = dataset.Take(n);
            var config = defaults with
            {
                Objective = p.GetValue(objective),
                Unet = defaults.Unet with { Channels = ParseWidths(p.GetValue(widths)!), MiddleAttention = !p.GetValue(noAttention) },
                Noise = new NoiseAssignmentConfig
                {
                    Method = p.GetValue(method), K = p.GetValue(k), DataScale = p.GetValue(scale), WarmupSteps = p.GetValue(noiseWarmup),
                    PoolTo = p.GetValue(poolTo),
                },
                LabelDropout = p.GetValue(dropout),
                Trainer = defaults.Trainer with
                {
                    Steps = p.GetValue(steps), BatchSize = p.GetValue(batch), Seed = p.GetValue(seed), CheckpointEvery = p.GetValue(ckptEvery),
                    Optimizer = defaults.Trainer.Optimizer with { LearningRate = p.GetValue(lr), WarmupSteps = p.GetValue(warmup) },
                },
            };
            var dir = p.GetValue(output)!;
            if (p.GetValue(latent)) return TrainLatent(config, dataset, dir, p.GetValue(aeSteps), p.GetValue(grid));
            var noise = NoiseAssigners.Create(config.Noise).Name;
            Console.WriteLine($"Training image {config.Objective} model on {dataset.Count} images {dataset.Channels}x{dataset.Height}x{dataset.Width}" +
                              $"{(dataset.NumClasses > 0 ? $", {dataset.NumClasses} classes" : "")}: {config.Trainer.Steps} steps, batch {config.Trainer.BatchSize}, " +
                              $"U-Net [{string.Join(", ", config.Unet.Channels)}], noise {noise}, seed {config.Trainer.Seed} -> {dir}");
            var watch = Stopwatch.StartNew();
            double lastRate = 0;
            var (model, history) = ImageTraining.Train(config, dataset, dir, progress =>
            {
                lastRate = progress.StepsPerSecond;
                Console.WriteLine($"  step {progress.Step,6}/{progress.TotalSteps}  loss {progress.Loss:F5}  lr {progress.LearningRate:E2}  " +
                                  $"{progress.StepsPerSecond:F2} steps/s ({progress.StepsPerSecond * config.Trainer.BatchSize:F0} images/s)  ETA {CommonOptions.Clock(progress.Eta)}");
            }, !p.GetValue(noResume));
            var elapsed = watch.Elapsed;
            Console.WriteLine($"Training finished in {CommonOptions.Clock(elapsed)}.");
            if (history.Count > 0)
                LineChart.WritePng(Path.Combine(dir, "loss.png"), "training loss (moving average of 50 steps)", "step", "loss",
                    [("loss", LineChart.Smooth(history, 50))], logY: true);
            int gridCount = p.GetValue(grid);
            double secondsPerImage = 0;
            if (gridCount > 0)
            {
                var sw = Stopwatch.StartNew();
                WriteSampleGrid(model, Path.Combine(dir, "samples.png"), gridCount, new SamplingOptions(), config.Trainer.Seed);
                secondsPerImage = sw.Elapsed.TotalSeconds / gridCount;
                Console.WriteLine($"Wrote {Path.Combine(dir, "samples.png")} ({secondsPerImage * 1000:F0} ms per image).");
            }
            var summary = new
            {
                objective = config.Objective.ToString(), noise, steps = config.Trainer.Steps, batchSize = config.Trainer.BatchSize,
                images = dataset.Count, seconds = elapsed.TotalSeconds,
                imagesPerSecond = elapsed.TotalSeconds > 0 ? history.Count * (double)config.Trainer.BatchSize / elapsed.TotalSeconds : 0,
                lastStepsPerSecond = lastRate,
                finalLoss = history.Count > 0 ? history.TakeLast(Math.Min(100, history.Count)).Average(h => h.Loss) : double.NaN,
                samplingSecondsPerImage = secondsPerImage,
            };
            File.WriteAllText(Path.Combine(dir, "train_summary.json"), JsonSerializer.Serialize(summary, Indented));
            File.WriteAllText(Path.Combine(dir, "train_summary.md"),
                $"# Image training\n\n| objective | noise | steps | batch | time | images/s | final loss (mean of last 100) | sampling s/image |\n|---|---|---|---|---|---|---|---|\n" +
                $"| {summary.objective} | {noise} | {summary.steps} | {summary.batchSize} | {CommonOptions.Clock(elapsed)} | {summary.imagesPerSecond:F0} | {summary.finalLoss:F4} | {secondsPerImage:F3} |\n");
            model.Network.Dispose();
            return 0;
        }));
        return cmd;
    }

    /// <summary>Autoencoder, then latent diffusion with the noise pairing applied to latents; samples.png and loss.png.</summary>
    private static int TrainLatent(ImageRunConfig imageConfig, ImageDataset dataset, string dir, int autoencoderSteps, int gridCount)
    {
        var aeConfig = new AutoencoderConfig { Channels = dataset.Channels, Steps = autoencoderSteps };
        Console.WriteLine($"Training autoencoder {dataset.Channels}x{dataset.Height}x{dataset.Width} -> {aeConfig.LatentChannels}x{dataset.Height / 4}x{dataset.Width / 4} for {aeConfig.Steps} steps ...");
        var autoencoder = LatentDiffusion.TrainAutoencoder(dataset, aeConfig, imageConfig.Trainer.Seed,
            (step, loss) => Console.WriteLine($"  autoencoder step {step,5}/{aeConfig.Steps}  reconstruction MSE {loss:F5}"));
        double latentScale = LatentDiffusion.FitLatentScale(autoencoder, dataset);
        var config = LatentDiffusion.LatentRunConfig(imageConfig, aeConfig, dataset);
        Console.WriteLine($"Latent scale {latentScale:F4}; training latent {config.Objective} model, noise {NoiseAssigners.Create(config.Noise).Name} on latents -> {dir}");
        var watch = Stopwatch.StartNew();
        var model = LatentDiffusion.Train(config, autoencoder, latentScale, dataset, dir, progress =>
            Console.WriteLine($"  step {progress.Step,6}/{progress.TotalSteps}  loss {progress.Loss:F5}  {progress.StepsPerSecond:F2} steps/s  ETA {CommonOptions.Clock(progress.Eta)}"));
        LatentCheckpoint.SaveAutoencoder(dir, autoencoder, latentScale);
        Console.WriteLine($"Training finished in {CommonOptions.Clock(watch.Elapsed)}.");
        if (gridCount > 0) WriteSampleGrid(model, Path.Combine(dir, "samples.png"), gridCount, new SamplingOptions(), config.Trainer.Seed);
        model.Diffusion.Network.Dispose();
        return 0;
    }

    private static Command Sample()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "image checkpoint directory", Required = true };
        var output = new Option<string>("--out") { Description = "PNG grid to write", DefaultValueFactory = _ => "samples.png" };
        var count = new Option<int>("--count") { Description = "number of images", DefaultValueFactory = _ => 100 };
        var label = new Option<int?>("--class") { Description = "class to draw (default: cycle through all classes)" };
        var kind = SamplerOption();
        var steps = StepsOption();
        var eta = EtaOption();
        var guidance = GuidanceOption();
        var seed = SeedOption();
        var threads = CommonOptions.Threads();
        var cmd = new Command("sample", "Draw a PNG grid of samples from a checkpoint.") { checkpoint, output, count, label, kind, steps, eta, guidance, seed, threads };
        cmd.SetAction(p => Guarded(() =>
        {
            TorchRuntime.Configure(p.GetValue(threads));
            var dir = p.GetValue(checkpoint)!;
            var sw = Stopwatch.StartNew();
            int n = p.GetValue(count);
            if (LatentCheckpoint.IsLatent(dir))
            {
                var latent = LatentCheckpoint.Load(dir);
                WriteSampleGrid(latent, p.GetValue(output)!, n, Options(p, kind, steps, eta, guidance), p.GetValue(seed), p.GetValue(label));
                latent.Diffusion.Network.Dispose();
            }
            else
            {
                var model = ImageCheckpoint.Load(dir);
                WriteSampleGrid(model, p.GetValue(output)!, n, Options(p, kind, steps, eta, guidance), p.GetValue(seed), p.GetValue(label));
                model.Network.Dispose();
            }
            Console.WriteLine($"Wrote {n} samples to {p.GetValue(output)} in {sw.Elapsed.TotalSeconds:F1} s ({sw.Elapsed.TotalMilliseconds / n:F0} ms per image).");
            return 0;
        }));
        return cmd;
    }

    private static Command Edit()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "image checkpoint directory", Required = true };
        var input = new Option<string>("--input") { Description = "PNG/JPEG to edit (the model's size, square)", Required = true };
        var mask = new Option<string?>("--mask") { Description = "PNG mask of the same size: white = regenerate, black = keep (none = SDEdit the whole image)" };
        var strength = new Option<double>("--strength") { Description = "noise level to start from, in [0, 1] (1 = regenerate from pure noise)", DefaultValueFactory = _ => 1.0 };
        var output = new Option<string>("--out") { Description = "PNG: input | mask | output side by side", DefaultValueFactory = _ => "edit.png" };
        var label = new Option<int?>("--class") { Description = "class to condition on (class-conditional models)" };
        var kind = SamplerOption();
        var steps = StepsOption();
        var eta = EtaOption();
        var guidance = GuidanceOption();
        var seed = SeedOption();
        var threads = CommonOptions.Threads();
        var cmd = new Command("edit", "In-paint / out-paint a masked region, or SDEdit a whole image.")
        {
            checkpoint, input, mask, strength, output, label, kind, steps, eta, guidance, seed, threads,
        };
        cmd.SetAction(p => Guarded(() =>
        {
            TorchRuntime.Configure(p.GetValue(threads));
            double s = p.GetValue(strength);
            if (!(s >= 0 && s <= 1)) throw new ArgumentOutOfRangeException("--strength", s, $"--strength must be in [0, 1]; received {s.ToString(Inv)}");
            var model = ImageCheckpoint.Load(p.GetValue(checkpoint)!);
            var cfg = model.Network.Config;
            using var scope = NewDisposeScope();
            var image = ImagePng.Read(p.GetValue(input)!, cfg.InChannels); // (1, C, H, W)
            if (image.shape[2] != cfg.ImageSize)
                throw new ArgumentException($"--input is {image.shape[3]}x{image.shape[2]} but the model makes {cfg.ImageSize}x{cfg.ImageSize} images", "--input");
            Tensor? regenerate = null;
            if (p.GetValue(mask) is string maskPath)
            {
                var m = ImagePng.Read(maskPath, 1); // (1, 1, h, w) in [-1, 1]
                if (m.shape[2] != image.shape[2] || m.shape[3] != image.shape[3])
                    throw new ArgumentException($"--mask is {m.shape[3]}x{m.shape[2]} but --input is {image.shape[3]}x{image.shape[2]}; they must match", "--mask");
                regenerate = m.gt(0).to_type(ScalarType.Float32); // 1 where white
            }
            var labels = p.GetValue(label) is int c ? tensor(new long[] { c }) : null;
            using var generator = new Generator((ulong)p.GetValue(seed));
            Tensor edited;
            using (inference_mode())
                edited = model.Edit(image, regenerate, s, labels, Options(p, kind, steps, eta, guidance), generator);
            var maskPanel = (regenerate ?? ones_like(image.narrow(1, 0, 1))).mul(2).sub(1).expand(1, cfg.InChannels, cfg.ImageSize, cfg.ImageSize);
            ImagePng.WriteGrid(p.GetValue(output)!, cat([image, maskPanel, edited], 0), 3, scale: 4);
            Console.WriteLine($"Wrote input | mask | output to {p.GetValue(output)}.");
            model.Network.Dispose();
            return 0;
        }));
        return cmd;
    }

    private static Command Eval()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "image checkpoint directory", Required = true };
        var data = DataOption();
        var size = SizeOption();
        var channels = ChannelsOption();
        var samples = new Option<int>("--samples") { Description = "generated images compared with the test set", DefaultValueFactory = _ => 1000 };
        var classifierDir = new Option<string>("--classifier")
        {
            Description = "where the metric classifier is cached (trained there on first use)",
            DefaultValueFactory = _ => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "immiscible", "classifier"),
        };
        var baseline = new Option<bool>("--untrained-baseline") { Description = "also score an untrained network of the same configuration" };
        var realBaseline = new Option<bool>("--real-baseline") { Description = "also score N real training images (the floor of the metric at this N)" };
        var output = new Option<string?>("--out") { Description = "where eval.json/md and samples.png go (default: <checkpoint>/eval)" };
        var kind = SamplerOption();
        var steps = StepsOption();
        var eta = EtaOption();
        var guidance = GuidanceOption();
        var seed = SeedOption();
        var threads = CommonOptions.Threads();
        var cmd = new Command("eval", "Fréchet distance (in a Fashion-MNIST CNN's feature space, not Inception FID) and class accuracy of samples.")
        {
            checkpoint, data, size, channels, samples, classifierDir, baseline, realBaseline, output, kind, steps, eta, guidance, seed, threads,
        };
        cmd.SetAction(p => Guarded(() =>
        {
            TorchRuntime.Configure(p.GetValue(threads));
            var dir = p.GetValue(checkpoint)!;
            var outDir = p.GetValue(output) ?? Path.Combine(dir, "eval");
            Directory.CreateDirectory(outDir);
            string dataName = p.GetValue(data)!;
            var train = LoadData(dataName, DatasetSplit.Train, p.GetValue(size), p.GetValue(channels));
            var test = dataName.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase) ? FashionMnist.Load(DatasetSplit.Test) : train;
            Console.WriteLine($"Metric classifier ({p.GetValue(classifierDir)}) ...");
            var (classifier, info) = ClassifierTraining.LoadOrTrain(p.GetValue(classifierDir)!, train, test, new ClassifierConfig(),
                (epoch, loss) => Console.WriteLine($"  classifier epoch {epoch}: loss {loss:F4}"));
            Console.WriteLine($"  test accuracy {info.TestAccuracy:P2}");
            LatentDiffusion? latent = LatentCheckpoint.IsLatent(dir) ? LatentCheckpoint.Load(dir) : null;
            var model = latent?.Diffusion ?? ImageCheckpoint.Load(dir);
            Func<int, Tensor?, SamplingOptions, Generator, Tensor> sampler = latent is null ? model.Sample : latent.Sample;
            int classCount = model.Network.Config.NumClasses;
            var options = Options(p, kind, steps, eta, guidance);
            int n = p.GetValue(samples);
            long s = p.GetValue(seed);
            Console.WriteLine($"Sampling {n} images ({options.Kind?.ToString() ?? "default sampler"}, {options.Steps} steps, guidance {options.GuidanceScale.ToString(Inv)}) ...");
            var result = ImageEvaluation.Evaluate(sampler, classCount, classifier, test, n, options, s, progress: CommonOptions.Counter("samples"));
            Print("trained", result);
            ImageEvaluationResult? untrained = null;
            if (p.GetValue(baseline))
            {
                torch.manual_seed(s + 1);
                using var raw = new UNet2D(model.Config.Unet);
                raw.eval();
                var rawModel = new ImageDiffusion(raw, model.Config);
                Func<int, Tensor?, SamplingOptions, Generator, Tensor> rawSampler = latent is null
                    ? rawModel.Sample
                    : new LatentDiffusion(latent.Autoencoder, rawModel, latent.LatentScale).Sample;
                untrained = ImageEvaluation.Evaluate(rawSampler, classCount, classifier, test, n, options, s);
                Print("untrained", untrained);
            }
            double? realFrechet = null;
            if (p.GetValue(realBaseline))
            {
                using var realScope = NewDisposeScope();
                var subset = train.Take(n);
                realFrechet = FrechetDistance.Compute(ImageEvaluation.ReferenceFeatures(classifier, subset), ImageEvaluation.ReferenceFeatures(classifier, test));
                Console.WriteLine($"  {subset.Count} real training images: Fréchet distance {realFrechet:F3}");
            }
            WriteSampleGrid(classCount, sampler, Path.Combine(outDir, "samples.png"), 100, options, s, null);
            var report = new { checkpoint = dir, classifierTestAccuracy = info.TestAccuracy, options, trained = result, untrained, realTrainingImages = realFrechet };
            File.WriteAllText(Path.Combine(outDir, "eval.json"), JsonSerializer.Serialize(report, Indented));
            var md = new StringBuilder()
                .AppendLine("# Image evaluation").AppendLine()
                .AppendLine($"Metric classifier: test accuracy {info.TestAccuracy:P2}. The Fréchet distance is measured in this classifier's 128-d penultimate-layer features, so it is a Fréchet distance for Fashion-MNIST, NOT Inception FID.").AppendLine()
                .AppendLine("| model | samples | Fréchet distance | class accuracy | s / image |").AppendLine("|---|---|---|---|---|")
                .AppendLine(Row("trained", result));
            if (untrained is not null) md.AppendLine(Row("untrained", untrained));
            if (realFrechet is double rf) md.AppendLine($"| real training images | {n} | {rf:F3} | - | - |");
            File.WriteAllText(Path.Combine(outDir, "eval.md"), md.ToString());
            Console.WriteLine($"Wrote {outDir}/eval.json, eval.md, samples.png");
            model.Network.Dispose();
            return 0;
        }));
        return cmd;
    }

    /// <summary>Runs an action, turning bad input (arguments, files, data) into one "error:" line and exit code 2 instead of a stack trace.</summary>
    private static int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static void Print(string label, ImageEvaluationResult r) =>
        Console.WriteLine($"  {label}: Fréchet distance {r.FrechetDistance:F3}" +
                          $"{(r.ClassAccuracy is double a ? $", class accuracy {a:P1}" : "")}, {r.SecondsPerImage * 1000:F0} ms per image");

    private static string Row(string label, ImageEvaluationResult r) =>
        $"| {label} | {r.Samples} | {r.FrechetDistance:F3} | {(r.ClassAccuracy is double a ? a.ToString("P1", Inv) : "-")} | {r.SecondsPerImage:F3} |";

    private static void WriteSampleGrid(ImageDiffusion model, string path, int count, SamplingOptions options, long seed, int? label = null) =>
        WriteSampleGrid(model.Network.Config.NumClasses, (n, y, o, g) => model.Sample(n, y, o, g), path, count, options, seed, label);

    private static void WriteSampleGrid(LatentDiffusion model, string path, int count, SamplingOptions options, long seed, int? label = null) =>
        WriteSampleGrid(model.Diffusion.Network.Config.NumClasses, model.Sample, path, count, options, seed, label);

    /// <summary>Samples <paramref name="count"/> images (cycling classes, or one class) and writes a grid, one class per column.</summary>
    private static void WriteSampleGrid(int classes, Func<int, Tensor?, SamplingOptions, Generator, Tensor> sample, string path, int count,
        SamplingOptions options, long seed, int? label)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var generator = new Generator((ulong)seed);
        if (label is int c && (c < 0 || c >= classes))
            throw new ArgumentOutOfRangeException("--class", c, $"--class must be in [0, {classes}) for this model; received {c}");
        var labels = classes > 0 ? tensor(Enumerable.Range(0, count).Select(i => (long)(label ?? i % classes)).ToArray()) : null; // (N)
        var images = sample(count, labels, options, generator); // (N, C, S, S)
        int columns = classes > 0 && label is null ? classes : 10;
        ImagePng.WriteGrid(path, images, columns, scale: 2);
    }

    private static int[] ParseWidths(string widths)
    {
        try
        {
            return widths.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, Inv)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--widths expects comma-separated integers such as 32,64,64; got '{widths}'", nameof(widths));
        }
    }
}
