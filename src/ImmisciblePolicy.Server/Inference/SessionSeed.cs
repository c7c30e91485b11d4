namespace ImmisciblePolicy.Server.Inference;

/// <summary>
/// The seed used when a request gives none: a stable function of (session, timestep), so replaying a
/// session's requests one at a time reproduces its plans. (string.GetHashCode is randomised per process,
/// hence FNV-1a over UTF-16 code units followed by a SplitMix64 finaliser.)
/// </summary>
public static class SessionSeed
{
    /// <summary>Seed for <paramref name="sessionId"/> at <paramref name="timestep"/>, non-negative.</summary>
    public static long For(string sessionId, long timestep)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ulong h = 14695981039346656037UL;                 // FNV-1a 64-bit offset basis
        foreach (char c in sessionId)
        {
            h ^= c;
            h *= 1099511628211UL;                         // FNV-1a 64-bit prime
        }
        ulong z = h ^ (ulong)timestep;
        z += 0x9E3779B97F4A7C15UL;                        // SplitMix64 (Steele et al. 2014)
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (long)(z >> 1);
    }
}
