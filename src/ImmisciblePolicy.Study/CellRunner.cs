using System.Text.Json;
using TorchSharp;

namespace ImmisciblePolicy.Study;

/// <summary>
/// Runs one cell into <c>&lt;study root&gt;/cells/&lt;id&gt;/</c>: result.json (the curve so far), checkpoint/ (training
/// state) and, for latent cells, autoencoder/. A finished cell is skipped; an interrupted one continues where it
/// stopped. The only shared file is the metric classifier of image cells (&lt;root&gt;/classifier, written atomically).
/// </summary>
public static class CellRunner
{
    /// <summary>The folder of <paramref name="cell"/> under <paramref name="studyRoot"/>.</summary>
    public static string CellDirectory(string studyRoot, StudyCell cell) => Path.Combine(studyRoot, "cells", cell.Id);

    /// <summary>Runs (or resumes, or skips when complete) <paramref name="cell"/> and returns its record.</summary>
    /// <param name="dataDirectory">Fashion-MNIST IDX folder; null = the Debian package's.</param>
    /// <exception cref="InvalidOperationException">the cell folder holds a record of a different design.</exception>
    public static CellRecord Run(StudyCell cell, string studyRoot, Action<string>? log = null, string? dataDirectory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentException.ThrowIfNullOrWhiteSpace(studyRoot);
        cell.Budget.Validate();
        log ??= _ => { };
        var dir = CellDirectory(studyRoot, cell);
        var existing = CellRecord.Load(dir);
        if (existing is not null)
        {
            if (!SameDesign(existing, cell))
                throw new InvalidOperationException(
                    $"{dir} holds cell '{existing.Id}' of preset '{existing.Preset}' with another budget or pairing; delete the folder to rerun it");
            if (existing.Completed)
            {
                log($"{cell.Id}: already complete");
                return existing;
            }
        }
        var record = (existing ?? New(cell)) with
        {
            Attempts = (existing?.Attempts ?? 0) + 1,
            Threads = torch.get_num_threads(),
            Machine = $"{Environment.MachineName}, {Environment.ProcessorCount} cores",
        };
        CellRecord.Save(dir, record);
        var session = new CellSession(dir, record);
        void Log(string message) => log($"[{cell.Id}] {message}");
        Log(existing is null ? $"start ({cell.Method.Label}, seed {cell.Seed})" : $"resume at {record.Curve.Count} scored points (attempt {record.Attempts})");
        if (StudyTasks.IsPolicy(cell.Task)) PolicyCell.Run(cell, session, Log, cancellationToken);
        else ImageCell.Run(cell, session, studyRoot, dataDirectory, Log, cancellationToken);
        return session.Record;
    }

    private static CellRecord New(StudyCell cell) => new()
    {
        Id = cell.Id,
        Preset = cell.Preset,
        Task = StudyTasks.Id(cell.Task),
        Method = cell.Method.Id,
        MethodLabel = cell.Method.Label,
        Seed = cell.Seed,
        Budget = cell.Budget,
        Noise = cell.Method.Noise,
    };

    private static bool SameDesign(CellRecord record, StudyCell cell) =>
        record.Id == cell.Id && record.Preset == cell.Preset
        && JsonSerializer.Serialize(record.Budget, CellRecord.Json) == JsonSerializer.Serialize(cell.Budget, CellRecord.Json)
        && record.Noise == cell.Method.Noise;
}
