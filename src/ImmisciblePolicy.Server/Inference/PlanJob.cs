using System.Diagnostics;

namespace ImmisciblePolicy.Server.Inference;

/// <summary>A request waiting in (or taken from) a <see cref="PlanQueue"/>, with the task its caller awaits.</summary>
internal sealed class PlanJob(PlanInput input)
{
    private readonly TaskCompletionSource<PlanOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PlanInput Input { get; } = input;

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the job entered the queue.</summary>
    public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>The job's place in the queue while it waits (null once taken or removed).</summary>
    public LinkedListNode<PlanJob>? Node { get; set; }

    public Task<PlanOutcome> Completion => _completion.Task;

    /// <summary>True once answered, failed or cancelled: the worker skips such jobs.</summary>
    public bool IsFinished => _completion.Task.IsCompleted;

    public void Complete(PlanOutcome outcome) => _completion.TrySetResult(outcome);

    public void Fail(Exception error) => _completion.TrySetException(error);

    public bool Cancel(CancellationToken token) => _completion.TrySetCanceled(token);
}
