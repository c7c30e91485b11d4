using System.Text.Json;
using System.Text.Json.Serialization;
using ImmisciblePolicy.Core.Noise;

namespace ImmisciblePolicy.Study;

/// <summary>One scored point of a training curve.</summary>
/// <param name="Step">training step of the scored (EMA) checkpoint.</param>
/// <param name="TrainSeconds">wall-clock seconds spent training up to this step (scoring excluded; includes the noise assignment).</param>
/// <param name="Metrics">metric name -> value (see <see cref="StudyMetrics"/>).</param>
public sealed record CurvePoint(long Step, double TrainSeconds, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Miscibility of the pairing on a real training batch of the cell's task (as the assigner sees it, after data scaling).</summary>
/// <param name="Dimension">D, the flattened size of one sample.</param>
/// <param name="VanillaPairDistance">mean ||x0 - noise|| with independent noise.</param>
/// <param name="AssignedPairDistance">the same with the method's noise, from the same draws.</param>
/// <param name="ReductionPercent">100 (1 - assigned / vanilla).</param>
/// <param name="ClusterSeparation">mean distance between the noise-cluster centres of different samples (higher = less miscible).</param>
/// <param name="VanillaClusterSeparation">the same for vanilla noise (sampling error only, about sqrt(2D/R)).</param>
/// <param name="AssignMillisecondsPerBatch">median time of one assignment of a training batch.</param>
/// <param name="DrawMillisecondsPerBatch">median time of drawing the batch's vanilla noise.</param>
public sealed record MiscibilityRecord(int Dimension, double VanillaPairDistance, double AssignedPairDistance, double ReductionPercent,
    double ClusterSeparation, double VanillaClusterSeparation, double AssignMillisecondsPerBatch, double DrawMillisecondsPerBatch);

/// <summary>
/// The "bijective" check at one perturbation: fixed starting noises x are perturbed to sqrt(1 - w^2) x + w e (a fresh e,
/// so x' is still N(0, I)), and both are denoised deterministically.
/// </summary>
/// <param name="Perturbation">w (0.1 = 10 %).</param>
/// <param name="RmsChange">root mean square of (sample' - sample), in data units ([-1, 1] pixels or normalised actions).</param>
/// <param name="RelativeChange">||sample' - sample|| / ||sample||, averaged over items.</param>
/// <param name="LabelFlipRate">images: share whose classifier label changed; policies: null.</param>
public sealed record BijectiveRecord(double Perturbation, double RmsChange, double RelativeChange, double? LabelFlipRate);

/// <summary>
/// Everything a cell produced, written atomically to <c>cells/&lt;id&gt;/result.json</c> after every scored point so
/// an interrupted cell resumes (training from its checkpoint, the curve from here).
/// </summary>
public sealed record CellRecord
{
    /// <summary>Cell id (task-method-seed).</summary>
    public required string Id { get; init; }

    /// <summary>Preset the cell belongs to.</summary>
    public required string Preset { get; init; }

    /// <summary>Task id.</summary>
    public required string Task { get; init; }

    /// <summary>Method id.</summary>
    public required string Method { get; init; }

    /// <summary>Method label for tables.</summary>
    public required string MethodLabel { get; init; }

    /// <summary>Seed of weights, batches and noise.</summary>
    public required long Seed { get; init; }

    /// <summary>The budget the cell ran with.</summary>
    public required TaskBudget Budget { get; init; }

    /// <summary>The pairing the cell trained with.</summary>
    public required NoiseAssignmentConfig Noise { get; init; }

    /// <summary>Scored points in step order.</summary>
    public IReadOnlyList<CurvePoint> Curve { get; init; } = [];

    /// <summary>True once training, scoring and the analyses are all done.</summary>
    public bool Completed { get; init; }

    /// <summary>Miscibility measures (computed at the start of the cell).</summary>
    public MiscibilityRecord? Miscibility { get; init; }

    /// <summary>Bijective check of the final model, one entry per perturbation.</summary>
    public IReadOnlyList<BijectiveRecord> Bijective { get; init; } = [];

    /// <summary>Torch threads the cell trained with (wall-clock numbers depend on it).</summary>
    public int Threads { get; init; }

    /// <summary>Host name and processor count of the machine, for reading wall-clock numbers.</summary>
    public string Machine { get; init; } = "";

    /// <summary>How many times the cell process was started (1 = never interrupted).</summary>
    public int Attempts { get; init; }

    /// <summary>JSON settings: indented, enums by name.</summary>
    public static JsonSerializerOptions Json { get; } = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>The file name inside a cell folder.</summary>
    public const string FileName = "result.json";

    /// <summary>Writes <paramref name="record"/> to <paramref name="cellDir"/>/result.json atomically (temp file + rename).</summary>
    public static void Save(string cellDir, CellRecord record)
    {
        Directory.CreateDirectory(cellDir);
        var path = Path.Combine(cellDir, FileName);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(record, Json));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a cell's record, or null when the cell has not written one yet.</summary>
    /// <exception cref="InvalidDataException">the file exists but is not a cell record; the message names it.</exception>
    public static CellRecord? Load(string cellDir)
    {
        var path = Path.Combine(cellDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<CellRecord>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a study cell record ({e.Message})", e);
        }
    }
}
