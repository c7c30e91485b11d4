using System.Globalization;

namespace ImmisciblePolicy.Study;

/// <summary>
/// One independent job of a study: a task, a method and a seed with the task's budget. A cell runs in its own
/// process and writes only to its own folder <c>cells/&lt;Id&gt;/</c>, so cells can run in sequence on one machine
/// or as the pods of a Kubernetes Indexed Job.
/// </summary>
public sealed record StudyCell(string Preset, int Index, StudyTaskKind Task, StudyMethod Method, long Seed, TaskBudget Budget)
{
    /// <summary>"task-method-sSEED", e.g. <c>pusht-knn2-s1</c>; unique within a preset.</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture, $"{StudyTasks.Id(Task)}-{Method.Id}-s{Seed}");
}

/// <summary>A task of a preset with its budget; <paramref name="Methods"/> narrows the preset's methods for this task (null = all of them).</summary>
public sealed record TaskPlan(StudyTaskKind Task, TaskBudget Budget, IReadOnlyList<StudyMethod>? Methods = null);

/// <summary>
/// A named study design: tasks with budgets x methods x seeds. The cell order (task, then seed, then method) puts
/// every method of a seed next to each other, so a study cut short still holds matched groups.
/// </summary>
public sealed record StudyPreset(string Name, string Description, IReadOnlyList<TaskPlan> Tasks, IReadOnlyList<StudyMethod> Methods,
    IReadOnlyList<long> Seeds)
{
    /// <summary>Every cell in run order; <see cref="StudyCell.Index"/> is the position (the Indexed Job's completion index).</summary>
    public IReadOnlyList<StudyCell> Cells()
    {
        var cells = new List<StudyCell>();
        foreach (var plan in Tasks)
            foreach (var seed in Seeds)
                foreach (var method in plan.Methods ?? Methods)
                    cells.Add(new StudyCell(Name, cells.Count, plan.Task, method, seed, plan.Budget));
        return cells;
    }

    /// <summary>The cell with <paramref name="id"/>; the error names the preset and how to list its cells.</summary>
    public StudyCell Cell(string id) =>
        Cells().FirstOrDefault(c => string.Equals(c.Id, id, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"preset '{Name}' has no cell '{id}' (list them with `immiscible study list --preset {Name}`)", nameof(id));

    /// <summary>The cell at <paramref name="index"/>; the error gives the valid range.</summary>
    public StudyCell Cell(int index)
    {
        var cells = Cells();
        if (index < 0 || index >= cells.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"preset '{Name}' has cells 0..{cells.Count - 1}; received index {index}");
        return cells[index];
    }
}
