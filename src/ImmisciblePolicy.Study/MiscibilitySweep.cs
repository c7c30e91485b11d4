using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Study;

/// <summary>
/// The miscibility measures of every method across data dimensions, on synthetic data in the range models train on
/// (x0 uniform in [-1, 1]^D, batch B): how the pair-distance reduction, the noise-cluster separation and the cost of an
/// assignment change with D. Complements the per-task measures of the cells, which use real batches.
/// </summary>
public static class MiscibilitySweep
{
    /// <summary>Dimensions swept: a policy chunk (16 x 2), a latent (4 x 7 x 7), a Fashion-MNIST image, a CIFAR-sized image.</summary>
    public static IReadOnlyList<int> Dimensions { get; } = [32, 196, 784, 3072];

    /// <summary>One row of the sweep.</summary>
    public sealed record Row(int Dimension, int Batch, string Method, MiscibilityRecord Measures);

    /// <summary>Measures every method of <see cref="StudyMethods.All"/> at every dimension, averaged over <paramref name="seeds"/>.</summary>
    public static IReadOnlyList<Row> Run(int batch = 64, int repeats = 16, int seeds = 3, IReadOnlyList<int>? dimensions = null)
    {
        var rows = new List<Row>();
        foreach (var d in dimensions ?? Dimensions)
            foreach (var method in StudyMethods.All)
            {
                var measures = new List<MiscibilityRecord>();
                for (int s = 0; s < seeds; s++)
                {
                    using var scope = NewDisposeScope();
                    using var g = new Generator((ulong)(1000 + s));
                    var x0 = rand([batch, d], generator: g).mul(2).sub(1).mul(method.Noise.DataScale); // (B, D) in [-s, s]
                    measures.Add(PairingProbes.Miscibility(method.Noise, x0, repeats, s));
                }
                rows.Add(new Row(d, batch, method.Label, new MiscibilityRecord(d,
                    measures.Average(m => m.VanillaPairDistance), measures.Average(m => m.AssignedPairDistance), measures.Average(m => m.ReductionPercent),
                    measures.Average(m => m.ClusterSeparation), measures.Average(m => m.VanillaClusterSeparation),
                    measures.Average(m => m.AssignMillisecondsPerBatch), measures.Average(m => m.DrawMillisecondsPerBatch))));
            }
        return rows;
    }

    /// <summary>The sweep as a Markdown table.</summary>
    public static string Markdown(IReadOnlyList<Row> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("| D | batch | method | pair distance vanilla → method | shorter by | cluster separation vs vanilla | assign ms | draw ms |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var m = r.Measures;
            md.AppendLine(string.Create(inv, $"| {r.Dimension} | {r.Batch} | {r.Method} | {m.VanillaPairDistance:F3} → {m.AssignedPairDistance:F3} | {m.ReductionPercent:F2} % | " +
                                             $"{m.ClusterSeparation / m.VanillaClusterSeparation:F2}× | {m.AssignMillisecondsPerBatch:F3} | {m.DrawMillisecondsPerBatch:F3} |"));
        }
        return md.ToString();
    }
}
