using System.Diagnostics;
using System.Text.Json;

namespace ImmisciblePolicy.Study;

/// <summary>
/// The running state of one cell: its record (saved atomically after every change) and a training clock that
/// excludes scoring. Resuming continues the clock from the last scored point.
/// </summary>
internal sealed class CellSession
{
    private readonly Stopwatch _clock = new();
    private double _offset;

    public CellSession(string directory, CellRecord record)
    {
        Directory = directory;
        Record = record;
        _offset = record.Curve.Count > 0 ? record.Curve[^1].TrainSeconds : 0;
    }

    public string Directory { get; }

    public CellRecord Record { get; private set; }

    /// <summary>Seconds of training so far (the clock runs only inside <see cref="StartClock"/>/<see cref="StopClock"/>).</summary>
    public double TrainSeconds => _offset + _clock.Elapsed.TotalSeconds;

    public void StartClock() => _clock.Start();

    public void StopClock() => _clock.Stop();

    public bool HasPoint(long step) => Record.Curve.Any(p => p.Step == step);

    public void AddPoint(long step, IReadOnlyDictionary<string, double> metrics)
    {
        var curve = Record.Curve.Where(p => p.Step != step).Append(new CurvePoint(step, TrainSeconds, metrics)).OrderBy(p => p.Step).ToList();
        Save(Record with { Curve = curve });
    }

    public void SetMiscibility(MiscibilityRecord value) => Save(Record with { Miscibility = value });

    public void SetBijective(IReadOnlyList<BijectiveRecord> value) => Save(Record with { Bijective = value });

    public void Complete() => Save(Record with { Completed = true });

    /// <summary>
    /// A checkpoint written before a crash but never scored (the process died while scoring it) is scored now, so
    /// the curve has no hole; <paramref name="score"/> gets (step, checkpoint directory).
    /// </summary>
    public void CatchUp(string checkpointDir, ISet<long> evalSteps, Action<long, string> score)
    {
        var dir = Core.Training.CheckpointDirectory.Resolve(checkpointDir);
        if (dir is null) return;
        var state = Path.Combine(dir, "training_state.json");
        if (!File.Exists(state)) return;
        using var doc = JsonDocument.Parse(File.ReadAllText(state));
        long step = doc.RootElement.GetProperty("Step").GetInt64();
        if (evalSteps.Contains(step) && !HasPoint(step)) score(step, dir);
    }

    private void Save(CellRecord record)
    {
        Record = record;
        CellRecord.Save(Directory, record);
    }
}
