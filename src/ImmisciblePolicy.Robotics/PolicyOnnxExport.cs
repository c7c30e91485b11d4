using System.Globalization;
using ImmisciblePolicy.Onnx;
using ImmisciblePolicy.Policy.Networks;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// Exports a policy checkpoint's denoiser (the EMA <see cref="ConditionalUnet1D"/>) as a self-describing ONNX file:
/// besides the graph and weights (<see cref="OnnxExporter"/>), its metadata carries the checkpoint's config.json, both
/// normalisers' values, the training step and the weights hash, so a deployment needs nothing else to turn
/// observations into actions (docs/onnx.md).
/// </summary>
public static class PolicyOnnxExport
{
    /// <summary>File name used when no output path is given: <c>&lt;checkpoint&gt;/denoiser.onnx</c>.</summary>
    public const string DefaultFileName = "denoiser.onnx";

    /// <summary>What an export wrote.</summary>
    /// <param name="Path">the .onnx file.</param>
    /// <param name="Bytes">its size.</param>
    /// <param name="WeightsSha256">the weights hash stored in its metadata.</param>
    /// <param name="ParameterCount">network parameters.</param>
    /// <param name="Step">training step of the weights.</param>
    /// <param name="Config">the checkpoint's run config.</param>
    public sealed record Result(string Path, long Bytes, string WeightsSha256, long ParameterCount, long Step, PolicyRunConfig Config);

    /// <summary>Writes the checkpoint's denoiser to <paramref name="outPath"/> (default: inside the checkpoint), atomically.</summary>
    /// <exception cref="InvalidDataException">the checkpoint is incomplete or inconsistent; the message names the file.</exception>
    public static Result Export(string checkpointDirectory, string? outPath = null)
    {
        var parts = PolicyCheckpoint.ReadParts(checkpointDirectory);
        var path = Path.GetFullPath(outPath ?? Path.Combine(parts.Directory, DefaultFileName));
        using var network = PolicyCheckpoint.LoadNetwork(parts);
        OnnxExporter.Save(network, path, Metadata(parts));
        return new Result(path, new FileInfo(path).Length, WeightsHash.Of(network), network.ParameterCount, parts.Step, parts.Config);
    }

    /// <summary>The policy-level metadata of a checkpoint's export (the exporter adds config, count and hash).</summary>
    internal static Dictionary<string, string> Metadata(PolicyCheckpoint.Parts parts) => new(StringComparer.Ordinal)
    {
        [OnnxMetadata.PolicyConfig] = parts.Config.ToJson(),
        [OnnxMetadata.ObsNormalizer] = parts.Obs.ToJson(),
        [OnnxMetadata.ActionNormalizer] = parts.Action.ToJson(),
        [OnnxMetadata.TrainingStep] = parts.Step.ToString(CultureInfo.InvariantCulture),
        [OnnxMetadata.Checkpoint] = Path.GetFileName(parts.Directory.TrimEnd(Path.DirectorySeparatorChar)),
    };
}
