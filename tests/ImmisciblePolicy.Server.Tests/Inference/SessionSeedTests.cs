using ImmisciblePolicy.Server.Inference;

namespace ImmisciblePolicy.Server.Tests.Inference;

public sealed class SessionSeedTests
{
    [Fact]
    public void For_IsStableNonNegative_AndSeparatesSessionsAndTimesteps()
    {
        // Stable across processes (string.GetHashCode is not): recompute FNV-1a by hand for "ab".
        ulong h = 14695981039346656037UL;
        foreach (char c in "ab") { h ^= c; h *= 1099511628211UL; }
        ulong z = (h ^ 5UL) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        Assert.Equal((long)(z >> 1), SessionSeed.For("ab", 5));

        var seeds = new HashSet<long>();
        foreach (var s in new[] { "robot-0", "robot-1", "" })
            for (long t = 0; t < 100; t++)
            {
                long seed = SessionSeed.For(s, t);
                Assert.True(seed >= 0);
                seeds.Add(seed);
            }
        Assert.Equal(300, seeds.Count);
    }
}
