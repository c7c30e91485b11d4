using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Images.Data;
using ImmisciblePolicy.Images.Diffusion;
using ImmisciblePolicy.Images.Latent;
using ImmisciblePolicy.Images.Metrics;
using ImmisciblePolicy.Images.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Study;

/// <summary>
/// An image cell: class-conditional flow matching on Fashion-MNIST (pixels, or the latents of a small autoencoder
/// trained with the cell's seed), scored at every eval step by the Fréchet distance of generated images in the
/// shared metric classifier's feature space; pixel cells also in-paint the centre of test images.
/// </summary>
internal static class ImageCell
{
    /// <summary>Seeds of the scoring draws: the same for every method and training seed.</summary>
    private const long SampleSeed = 4321, InpaintSeed = 999, BijectiveSeed = 777, BatchSeed = 12345;

    /// <summary>The pixel-space run config of a cell (the latent one derives from it).</summary>
    public static ImageRunConfig Config(StudyCell cell) => new()
    {
        Unet = new UNet2DConfig { Channels = cell.Budget.Widths },
        Noise = cell.Method.Noise,
        Trainer = new TrainerConfig
        {
            Steps = cell.Budget.Steps, BatchSize = cell.Budget.BatchSize, Seed = cell.Seed, CheckpointEvery = cell.Budget.EvalEvery,
            LogEvery = Math.Max(1, Math.Min(50, cell.Budget.EvalEvery / 2)),
            Optimizer = new OptimizerConfig { LearningRate = cell.Budget.LearningRate, WarmupSteps = cell.Budget.WarmupSteps },
        },
    };

    public static void Run(StudyCell cell, CellSession session, string studyRoot, string? dataDirectory, Action<string> log, CancellationToken ct)
    {
        var b = cell.Budget;
        bool latent = cell.Task == StudyTaskKind.FashionMnistLatent;
        var trainAll = FashionMnist.Load(DatasetSplit.Train, dataDirectory);
        var test = FashionMnist.Load(DatasetSplit.Test, dataDirectory);
        var train = b.TrainImages > 0 ? trainAll.Take(b.TrainImages) : trainAll;
        var classifierDir = Path.Combine(studyRoot, "classifier");
        log($"metric classifier ({classifierDir}) ...");
        var (classifier, info) = ClassifierTraining.LoadOrTrain(classifierDir, trainAll, test, new ClassifierConfig { Epochs = b.ClassifierEpochs },
            (epoch, loss) => log($"  classifier epoch {epoch}: loss {loss:F4}"));
        log($"metric classifier test accuracy {info.TestAccuracy:P2}");
        Tensor reference = ImageEvaluation.ReferenceFeatures(classifier, test); // (10000, 128)

        var config = ImageTraining.FitShapes(Config(cell), train);
        ConvAutoencoder? autoencoder = null;
        double latentScale = 1;
        if (latent)
        {
            (autoencoder, latentScale) = Autoencoder(cell, session.Directory, train, log);
            config = LatentDiffusion.LatentRunConfig(config, autoencoder.Config, train);
        }

        if (session.Record.Miscibility is null)
        {
            using var scope = NewDisposeScope();
            using var mode = no_grad();
            var indices = ImageTraining.DrawBatch(train.Count, b.BatchSize, new Random((int)BatchSeed));
            var x0 = train.Images(indices); // (B, 1, 28, 28)
            if (autoencoder is not null) x0 = autoencoder.Encode(x0).mul(latentScale); // (B, 4, 7, 7), as the latent model's x0
            session.SetMiscibility(PairingProbes.Miscibility(config.Noise, x0.mul(config.Noise.DataScale), b.MiscibilityRepeats, cell.Seed));
            log($"miscibility: {PolicyCell.Describe(session.Record.Miscibility!)}");
        }

        var options = new SamplingOptions { Steps = b.SampleSteps };
        Func<ImageDiffusion, Func<int, Tensor?, SamplingOptions, Generator, Tensor>> sampler = autoencoder is null
            ? model => model.Sample
            : model => new LatentDiffusion(autoencoder, model, latentScale).Sample;
        var evalSteps = b.EvalSteps().ToHashSet();
        void Score(long step, string dir)
        {
            if (!evalSteps.Contains(step) || session.HasPoint(step)) return;
            var model = ImageCheckpoint.Load(dir);
            try
            {
                var r = ImageEvaluation.Evaluate(sampler(model), test.NumClasses, classifier, test, b.EvalSamples, options, SampleSeed);
                var metrics = new Dictionary<string, double> { [StudyMetrics.Fd] = r.FrechetDistance, [StudyMetrics.ClassAccuracy] = r.ClassAccuracy ?? double.NaN };
                if (autoencoder is null)
                {
                    var (fd, mse) = Inpaint(model, classifier, test, reference, b.EvalSamples, options);
                    metrics[StudyMetrics.InpaintFd] = fd;
                    metrics[StudyMetrics.InpaintMse] = mse;
                }
                session.AddPoint(step, metrics);
                log($"step {step}: FD {r.FrechetDistance:F1}, class accuracy {r.ClassAccuracy:P1}" +
                    (metrics.TryGetValue(StudyMetrics.InpaintFd, out var ifd) ? $", in-painting FD {ifd:F1}" : "") + $", train time {session.TrainSeconds:F0} s");
            }
            finally
            {
                model.Network.Dispose();
            }
        }

        var checkpoint = Path.Combine(session.Directory, "checkpoint");
        session.CatchUp(checkpoint, evalSteps, Score);
        session.StartClock();
        Action<TrainingProgress> progress = p => log($"  step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} {p.StepsPerSecond:F2} steps/s");
        Action<long, string> onCheckpoint = (step, dir) =>
        {
            session.StopClock();
            Score(step, dir);
            session.StartClock();
        };
        ImageDiffusion final;
        if (autoencoder is null)
            final = ImageTraining.Train(config, train, checkpoint, progress, resume: true, ct, onCheckpoint).Model;
        else
            final = LatentDiffusion.Train(config, autoencoder, latentScale, train, checkpoint, progress, null, onCheckpoint, resume: true, ct).Diffusion;
        session.StopClock();
        session.CatchUp(checkpoint, evalSteps, Score);

        if (session.Record.Bijective.Count == 0)
        {
            int n = b.BijectiveItems;
            var labels = tensor(Enumerable.Range(0, n).Select(i => (long)(i % test.NumClasses)).ToArray()); // (n)
            using var g = new Generator(1);
            Func<Tensor, Tensor> denoise = autoencoder is null
                ? noise => final.Sample(noise, labels, options, g)
                : noise => new LatentDiffusion(autoencoder, final, latentScale).Sample(noise, labels, options, g);
            var u = config.Unet;
            var records = PairingProbes.Bijective(denoise, [n, u.InChannels, u.ImageSize, u.ImageSize],
                images => classifier.forward(images).argmax(1), BijectiveSeed);
            session.SetBijective(records);
            log("bijective: " + string.Join(", ", records.Select(r => $"{r.Perturbation:P0} -> rms {r.RmsChange:F4}, label flips {r.LabelFlipRate:P0}")));
        }
        final.Network.Dispose();
        session.Complete();
    }

    /// <summary>The cell's autoencoder: trained once with the cell's seed (so all methods of a seed share it) and kept in the cell folder.</summary>
    private static (ConvAutoencoder, double) Autoencoder(StudyCell cell, string cellDir, ImageDataset train, Action<string> log)
    {
        var dir = Path.Combine(cellDir, "autoencoder");
        if (File.Exists(Path.Combine(dir, "latent.json"))) return LatentCheckpoint.LoadAutoencoder(dir);
        var aeConfig = new AutoencoderConfig { Steps = cell.Budget.AutoencoderSteps };
        log($"autoencoder: {aeConfig.Steps} steps, seed {cell.Seed}");
        var autoencoder = LatentDiffusion.TrainAutoencoder(train, aeConfig, cell.Seed, (step, loss) => log($"  autoencoder step {step}: loss {loss:F4}"));
        double scale = LatentDiffusion.FitLatentScale(autoencoder, train);
        autoencoder.eval();
        CheckpointDirectory.WriteAtomically(dir, d => LatentCheckpoint.SaveAutoencoder(d, autoencoder, scale));
        return (autoencoder, scale);
    }

    /// <summary>
    /// In-paints the centre 14 x 14 of the first <paramref name="count"/> test images (class-conditional on their true
    /// labels) and returns the Fréchet distance of the results to the test set and the MSE inside the hole.
    /// </summary>
    private static (double Fd, double Mse) Inpaint(ImageDiffusion model, FeatureClassifier classifier, ImageDataset test, Tensor reference,
        int count, SamplingOptions options)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        int s = test.Height;
        var mask = zeros(1, 1, s, s);
        mask[.., .., (s / 4)..(3 * s / 4), (s / 4)..(3 * s / 4)] = ones(1, 1, s / 2, s / 2); // 1 = regenerate
        using var g = new Generator((ulong)InpaintSeed);
        var features = new List<Tensor>();
        double squared = 0;
        for (int start = 0; start < count; start += 100)
        {
            var idx = Enumerable.Range(start, Math.Min(100, count - start)).ToArray();
            var images = test.Images(idx); // (n, 1, S, S)
            var edited = model.Edit(images, mask, 1.0, test.LabelTensor(idx), options, g);
            features.Add(classifier.Features(edited));
            squared += edited.sub(images).square().mul(mask).sum().item<float>();
        }
        double fd = FrechetDistance.Compute(cat(features, 0), reference);
        return (fd, squared / (count * (s / 2) * (s / 2)));
    }
}
