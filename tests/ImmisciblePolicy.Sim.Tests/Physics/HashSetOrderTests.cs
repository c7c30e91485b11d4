using ImmisciblePolicy.Sim.Physics;

namespace ImmisciblePolicy.Sim.Tests.Physics;

/// <summary>cpHashSet's iteration order, which decides the order the broadphase updates its leaves in.</summary>
public sealed class HashSetOrderTests
{
    private static List<string> Order(params ulong[] ids)
    {
        var set = new HashSetOrder<string>();
        foreach (var id in ids)
        {
            set.Insert(id, $"s{id}");
        }

        return [.. set.Items()];
    }

    [Fact]
    public void PushTsDynamicShapes_AreVisitedBarStemAgent()
    {
        // Agent 4, bar 5, stem 6 in a table of 5 buckets: 5 % 5 = 0, 6 % 5 = 1, 4 % 5 = 4.
        Assert.Equal(["s5", "s6", "s4"], Order(4, 5, 6));
    }

    [Fact]
    public void SharedBucket_IteratesNewestFirst()
    {
        Assert.Equal(["s5", "s0", "s1"], Order(0, 1, 5));
    }

    [Fact]
    public void Growth_RehashesIntoTheNextPrime_WhenEntriesReachTheSize()
    {
        // The fifth entry fills 5 buckets: the table becomes 13 buckets and 13 lands next to 0 (newest first).
        Assert.Equal(["s13", "s0", "s1", "s2", "s3"], Order(13, 0, 1, 2, 3));
        Assert.Equal(["s0", "s1", "s2", "s3", "s4", "s5"], Order(5, 4, 3, 2, 1, 0));
    }
}
