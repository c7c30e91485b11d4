using ImmisciblePolicy.Robots;

namespace ImmisciblePolicy.Robots.Tests;

public sealed class ActionQueueTests
{
    private static TimedAction[] Chunk(long first, params double[][] actions) =>
        actions.Select((a, i) => new TimedAction(first + i, a)).ToArray();

    private static double[] Take(ActionQueue q, long t)
    {
        Assert.True(q.TryTake(t, out var a), $"expected an action for timestep {t}");
        return a;
    }

    [Fact]
    public void Offer_IntoEmptyQueue_AppendsInTimeOrder()
    {
        var q = new ActionQueue();
        var r = q.Offer(Chunk(0, [1, 2], [3, 4], [5, 6]));
        Assert.Equal(new OfferResult(0, 0, 3), r);
        Assert.Equal([1.0, 2.0], Take(q, 0));
        Assert.Equal([3.0, 4.0], Take(q, 1));
        Assert.Equal([5.0, 6.0], Take(q, 2));
        Assert.False(q.TryTake(3, out _));
    }

    [Fact]
    public void Offer_Overlap_BlendsPointThreeOldPointSevenNew()
    {
        // Golden: 0.3 * 10 + 0.7 * 20 = 17; 0.3 * (-4) + 0.7 * 6 = 3; 0.3 * 100 + 0.7 * 0 = 30.
        var q = new ActionQueue();
        q.Offer(Chunk(0, [0, 0], [10, -4], [100, 8]));
        Assert.Equal([0.0, 0.0], Take(q, 0));
        var r = q.Offer(Chunk(1, [20, 6], [0, 2], [7, 7]));
        Assert.Equal(new OfferResult(0, 2, 1), r);
        var a1 = Take(q, 1);
        Assert.Equal(17.0, a1[0], 12);
        Assert.Equal(3.0, a1[1], 12);
        var a2 = Take(q, 2);
        Assert.Equal(30.0, a2[0], 12);
        Assert.Equal(0.3 * 8 + 0.7 * 2, a2[1], 12);
        Assert.Equal([7.0, 7.0], Take(q, 3));
    }

    [Fact]
    public void Offer_TwiceOnSameTimestep_BlendsRecursively()
    {
        // Three chunks covering t = 5: ((a * 0.3 + b * 0.7) * 0.3 + c * 0.7) = 0.09 a + 0.21 b + 0.7 c.
        var q = new ActionQueue();
        q.Offer([new TimedAction(5, [100])]);
        q.Offer([new TimedAction(5, [10])]);
        q.Offer([new TimedAction(5, [1])]);
        Assert.Equal(0.09 * 100 + 0.21 * 10 + 0.7 * 1, Take(q, 5)[0], 12);
    }

    [Fact]
    public void Offer_CustomWeights_FollowTheConfig()
    {
        var q = new ActionQueue(new ActionQueueConfig(OldWeight: 0.5, NewWeight: 0.5));
        q.Offer([new TimedAction(0, [2, 4])]);
        q.Offer([new TimedAction(0, [4, 8])]);
        Assert.Equal([3.0, 6.0], Take(q, 0));
    }

    [Fact]
    public void Offer_Replace_TakesTheNewAction()
    {
        var q = new ActionQueue(new ActionQueueConfig(OverlapAggregation.Replace));
        q.Offer(Chunk(0, [1], [2], [3]));
        var r = q.Offer(Chunk(1, [20], [30], [40]));
        Assert.Equal(new OfferResult(0, 2, 1), r);
        Assert.Equal([1.0], Take(q, 0));
        Assert.Equal([20.0], Take(q, 1));
        Assert.Equal([30.0], Take(q, 2));
        Assert.Equal([40.0], Take(q, 3));
    }

    [Fact]
    public void Offer_ActionsForExecutedTimesteps_AreDropped()
    {
        // A chunk planned from the observation at t = 0 arrives after steps 0..2 ran: its first three are stale.
        var q = new ActionQueue();
        q.Offer(Chunk(0, [0], [1], [2], [3]));
        Take(q, 0);
        Take(q, 1);
        Take(q, 2);
        var r = q.Offer(Chunk(0, [50], [51], [52], [53], [54]));
        Assert.Equal(new OfferResult(3, 1, 1), r);
        Assert.Equal(0.3 * 3 + 0.7 * 53, Take(q, 3)[0], 12);
        Assert.Equal([54.0], Take(q, 4));
        Assert.Equal(4, q.LastExecutedTimestep);
    }

    [Fact]
    public void TryTake_SkipsActionsWhoseTimestepPassed()
    {
        var q = new ActionQueue();
        q.Offer(Chunk(0, [0], [1], [2], [3]));
        Assert.Equal([2.0], Take(q, 2));
        Assert.Equal(1, q.Count);
        Assert.Equal([3.0], Take(q, 3));
    }

    [Fact]
    public void TryTake_GapBeforeNextAction_ReturnsFalseAndKeepsQueue()
    {
        var q = new ActionQueue();
        q.Offer(Chunk(5, [5], [6]));
        Assert.False(q.TryTake(3, out var none));
        Assert.Empty(none);
        Assert.Equal(2, q.Count);
        Assert.Equal(-1, q.LastExecutedTimestep);
    }

    [Fact]
    public void TryTake_ExecutedTimestep_Throws()
    {
        var q = new ActionQueue();
        q.Offer(Chunk(0, [0], [1]));
        Take(q, 0);
        var e = Assert.Throws<ArgumentException>(() => q.TryTake(0, out _));
        Assert.Contains("already executed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8, 16, true)]   // 8 / 16 = 0.5 <= 0.5
    [InlineData(9, 16, false)]  // 0.5625 > 0.5
    [InlineData(0, 16, true)]
    [InlineData(4, 8, true)]
    [InlineData(5, 8, false)]
    public void NeedsChunk_AtOrBelowHalfAChunk(int queued, int chunk, bool expected)
    {
        var q = new ActionQueue();
        q.Offer(Enumerable.Range(0, queued).Select(i => new TimedAction(i, [i])).ToArray());
        Assert.Equal(expected, q.NeedsChunk(chunk));
    }

    [Fact]
    public void NeedsChunk_ThresholdZero_OnlyWhenEmpty()
    {
        var q = new ActionQueue(new ActionQueueConfig(ChunkThreshold: 0));
        q.Offer(Chunk(0, [0]));
        Assert.False(q.NeedsChunk(8));
        Take(q, 0);
        Assert.True(q.NeedsChunk(8));
    }

    [Fact]
    public void Offer_RejectsBadChunks()
    {
        var q = new ActionQueue();
        Assert.Contains("strictly", Assert.Throws<ArgumentException>(() => q.Offer([new(1, [0]), new(1, [0])])).Message, StringComparison.Ordinal);
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => q.Offer([new(0, [double.NaN])])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => q.Offer([new(0, [0, 1]), new(1, [0])]));
        q.Offer([new(0, [0, 1])]);
        Assert.Contains("queued actions have 2", Assert.Throws<ArgumentException>(() => q.Offer([new(1, [0])])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.3, 0.8, 0.5)]
    [InlineData(-0.1, 1.1, 0.5)]
    [InlineData(0.3, 0.7, 1.5)]
    [InlineData(0.3, 0.7, double.NaN)]
    public void Config_InvalidWeightsOrThreshold_Throw(double oldW, double newW, double threshold) =>
        Assert.Throws<ArgumentException>(() => new ActionQueue(new ActionQueueConfig(OldWeight: oldW, NewWeight: newW, ChunkThreshold: threshold)));

    [Fact]
    public void Clear_StartsANewEpisode()
    {
        var q = new ActionQueue();
        q.Offer(Chunk(0, [0], [1]));
        Take(q, 0);
        q.Clear();
        Assert.Equal(0, q.Count);
        Assert.Equal(-1, q.LastExecutedTimestep);
        q.Offer(Chunk(0, [9]));
        Assert.Equal([9.0], Take(q, 0));
    }

    [Fact]
    public void Snapshot_ReturnsCopies()
    {
        var q = new ActionQueue();
        q.Offer(Chunk(0, [1]));
        q.Snapshot()[0].Action[0] = 99;
        Assert.Equal([1.0], Take(q, 0));
    }
}
