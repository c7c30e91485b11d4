namespace ImmisciblePolicy.Sim.Random;

/// <summary>
/// Mersenne Twister MT19937 with numpy's legacy <c>np.random.RandomState</c> draws, so a reset
/// seed gives the same initial state as gym-pusht / diffusion_policy (both call
/// <c>np.random.RandomState(seed=seed)</c> then <c>randint</c> and <c>randn</c>).
/// Follows numpy/random/src/mt19937 (init_genrand seeding for an integer seed),
/// numpy/random/src/legacy/legacy-distributions.c (legacy_gauss: polar Box-Muller, caching the
/// second value) and numpy/random/src/distributions (bounded masked uint32 rejection for randint).
/// </summary>
public sealed class LegacyRandomState
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _index;
    private bool _hasGauss;
    private double _gauss;

    /// <summary>Seeds as <c>RandomState(seed)</c> for an integer seed in [0, 2^32).</summary>
    public LegacyRandomState(long seed)
    {
        if (seed < 0 || seed > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(seed), seed, "Seed must be in [0, 2^32 - 1] as numpy's RandomState requires.");
        }

        _mt[0] = (uint)seed;
        for (int i = 1; i < N; i++)
        {
            _mt[i] = unchecked((1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30))) + (uint)i);
        }

        _index = N;
    }

    /// <summary>Copy constructor: continues the same stream independently.</summary>
    public LegacyRandomState Clone()
    {
        var copy = new LegacyRandomState(0);
        Array.Copy(_mt, copy._mt, N);
        copy._index = _index;
        copy._hasGauss = _hasGauss;
        copy._gauss = _gauss;
        return copy;
    }

    /// <summary>genrand_int32.</summary>
    public uint NextUInt32()
    {
        if (_index >= N)
        {
            Twist();
        }

        uint y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>53-bit double in [0, 1) (numpy's legacy random_sample / mt19937_next_double).</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return ((a * 67108864.0) + b) / 9007199254740992.0;
    }

    /// <summary><c>randint(low, high)</c>: uniform integer in [low, high), masked rejection sampling.</summary>
    public long RandInt(long low, long high)
    {
        if (high <= low)
        {
            throw new ArgumentException($"randint needs low < high; received low {low}, high {high}.", nameof(high));
        }

        ulong range = (ulong)(high - low - 1);
        if (range == 0)
        {
            return low;
        }

        if (range > uint.MaxValue)
        {
            throw new ArgumentException($"Ranges above 2^32 are not needed here; received {range + 1}.", nameof(high));
        }

        ulong mask = range;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        ulong value;
        do
        {
            value = NextUInt32() & mask;
        }
        while (value > range);
        return low + (long)value;
    }

    /// <summary><c>randn()</c>: standard normal by numpy's legacy polar method.</summary>
    public double RandN()
    {
        if (_hasGauss)
        {
            _hasGauss = false;
            return _gauss;
        }

        double x1, x2, r2;
        do
        {
            x1 = (2.0 * NextDouble()) - 1.0;
            x2 = (2.0 * NextDouble()) - 1.0;
            r2 = (x1 * x1) + (x2 * x2);
        }
        while (r2 >= 1.0 || r2 == 0.0);

        double f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _gauss = f * x1;
        _hasGauss = true;
        return f * x2;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7fffffffu);
            uint next = _mt[(i + M) % N] ^ (y >> 1);
            if ((y & 1u) != 0)
            {
                next ^= 0x9908b0dfu;
            }

            _mt[i] = next;
        }

        _index = 0;
    }
}
