using System.Diagnostics;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Server.Inference;

namespace ImmisciblePolicy.Server.Tests.Inference;

public sealed class PlanQueueTests
{
    private static PlanJob Job(long? seed = null, int steps = 10, SamplerKind sampler = SamplerKind.Ddim) =>
        new(new PlanInput("s", [[0.0]], DateTimeOffset.UnixEpoch, 0, sampler, steps, seed));

    [Fact]
    public void TryEnqueue_BeyondCapacity_Refuses_AndRemoveFreesTheSlot()
    {
        var queue = new PlanQueue(2);
        var a = Job();
        Assert.True(queue.TryEnqueue(a));
        Assert.True(queue.TryEnqueue(Job()));
        Assert.False(queue.TryEnqueue(Job()));
        queue.Remove(a);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.TryEnqueue(Job()));
    }

    [Fact]
    public void TakeCompatible_TakesOnlyMatchingJobs_UpToMax_KeepingOthersInOrder()
    {
        var queue = new PlanQueue(16);
        var first = Job();
        var seeded = Job(seed: 3);
        var otherSteps = Job(steps: 20);
        var ddpm = Job(sampler: SamplerKind.Ddpm);
        var same = Enumerable.Range(0, 4).Select(_ => Job()).ToList();
        foreach (var j in new[] { first, seeded, same[0], otherSteps, same[1], ddpm, same[2], same[3] }) Assert.True(queue.TryEnqueue(j));
        var taken = queue.TakeFirst();
        Assert.Same(first, taken);
        var batch = new List<PlanJob> { first };
        queue.TakeCompatible(batch, j => first.Input.CanBatchWith(j.Input), 4, Stopwatch.GetTimestamp());
        Assert.Equal([first, seeded, same[0], same[1]], batch);         // a seed no longer keeps a request out of a batch
        Assert.Same(otherSteps, queue.TakeFirst());                    // incompatible jobs kept their order
        Assert.Same(ddpm, queue.TakeFirst());
        Assert.Same(same[2], queue.TakeFirst());
        Assert.Same(same[3], queue.TakeFirst());
    }

    [Fact]
    public async Task TakeCompatible_WaitsForLateJobs_UntilTheDeadline()
    {
        var queue = new PlanQueue(16);
        var first = Job();
        var batch = new List<PlanJob> { first };
        var late = Job();
        var adder = Task.Run(async () =>
        {
            await Task.Delay(20);
            queue.TryEnqueue(late);
        });
        var watch = Stopwatch.StartNew();
        queue.TakeCompatible(batch, _ => true, 2, Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5);
        Assert.Equal([first, late], batch);                           // returned when the batch filled, well before 5 s
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"waited {watch.Elapsed}");
        await adder;

        watch.Restart();
        batch.RemoveAt(1);
        queue.TakeCompatible(batch, _ => true, 2, Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20);
        Assert.InRange(watch.Elapsed.TotalMilliseconds, 40, 4000);    // nothing came: waited out the 50 ms window
        Assert.Equal([first], batch);
    }

    [Fact]
    public void Close_ReturnsWaitingJobs_AndTakeFirstReturnsNull()
    {
        var queue = new PlanQueue(4);
        var a = Job();
        queue.TryEnqueue(a);
        Assert.Equal([a], queue.Close());
        Assert.Null(queue.TakeFirst());
        Assert.False(queue.TryEnqueue(Job()));
    }
}
