using System.Diagnostics;
using ImmisciblePolicy.Images.Data;
using ImmisciblePolicy.Images.Diffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Metrics;

/// <summary>Result of <see cref="ImageEvaluation.Evaluate"/>.</summary>
/// <param name="FrechetDistance">Fréchet distance in the classifier's feature space, samples vs the reference set.</param>
/// <param name="ClassAccuracy">share of class-conditional samples the classifier assigns to their requested class; null if unconditional.</param>
/// <param name="Samples">number of generated images.</param>
/// <param name="SecondsPerImage">wall-clock sampling time per image.</param>
public sealed record ImageEvaluationResult(double FrechetDistance, double? ClassAccuracy, int Samples, double SecondsPerImage);

/// <summary>Sample quality of an image model measured with the metric classifier.</summary>
public static class ImageEvaluation
{
    /// <summary>
    /// Draws <paramref name="samples"/> images (class i mod K for image i when the model is conditional, so the
    /// classes are balanced as in the test set) and compares them with <paramref name="reference"/>.
    /// </summary>
    public static ImageEvaluationResult Evaluate(ImageDiffusion model, FeatureClassifier classifier, ImageDataset reference, int samples,
        SamplingOptions options, long seed, int batchSize = 100, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Evaluate(model.Sample, model.Network.Config.NumClasses, classifier, reference, samples, options, seed, batchSize, progress);
    }

    /// <summary>
    /// The same for any sampler (count, labels or null, options, generator) -> (B, C, S, S) images in [-1, 1], e.g. a
    /// latent-diffusion model's decode-after-sample.
    /// </summary>
    public static ImageEvaluationResult Evaluate(Func<int, Tensor?, SamplingOptions, Generator, Tensor> sample, int classes,
        FeatureClassifier classifier, ImageDataset reference, int samples, SamplingOptions options, long seed, int batchSize = 100,
        Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(reference);
        if (samples < 2) throw new ArgumentOutOfRangeException(nameof(samples), samples, "need at least 2 samples for a covariance");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be at least 1");
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var features = new List<Tensor>();
        int correct = 0;
        var watch = new Stopwatch();
        using var generator = new Generator((ulong)seed);
        for (int start = 0; start < samples; start += batchSize)
        {
            int n = Math.Min(batchSize, samples - start);
            var labels = classes > 0 ? tensor(Enumerable.Range(start, n).Select(i => (long)(i % classes)).ToArray()) : null; // (n)
            watch.Start();
            var images = sample(n, labels, options, generator); // (n, C, S, S)
            watch.Stop();
            features.Add(classifier.Features(images));
            if (labels is not null) correct += (int)classifier.forward(images).argmax(1).eq(labels).sum().item<long>();
            progress?.Invoke(Math.Min(start + n, samples), samples);
        }
        var referenceFeatures = ReferenceFeatures(classifier, reference);
        double fd = FrechetDistance.Compute(cat(features, 0), referenceFeatures);
        return new ImageEvaluationResult(fd, classes > 0 ? (double)correct / samples : null, samples, watch.Elapsed.TotalSeconds / samples);
    }

    /// <summary>Classifier features (N, 128) of every image of <paramref name="data"/>.</summary>
    public static Tensor ReferenceFeatures(FeatureClassifier classifier, ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(data);
        using var mode = inference_mode();
        var parts = new List<Tensor>();
        for (int start = 0; start < data.Count; start += 500)
            parts.Add(classifier.Features(data.Images(Enumerable.Range(start, Math.Min(500, data.Count - start)).ToArray())));
        return cat(parts, 0); // (N, 128)
    }
}
