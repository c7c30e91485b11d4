namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// The iteration order of Chipmunk's cpHashSet (src/cpHashSet.c, sizes from src/prime.h): a chained table
/// of prime size (5 at first, grown to the next prime when entries reach the size), each chain with the
/// newest element first, walked bucket by bucket. cpBBTreeReindexQuery updates leaves in this order, and
/// the order decides how the tree is rebuilt, hence which pairs are found first and the order the
/// arbiters are solved in. Only insertion and iteration are needed: Push-T never removes a shape.
/// </summary>
/// <typeparam name="T">Element type (the tree's leaves).</typeparam>
internal sealed class HashSetOrder<T>
    where T : class
{
    private static readonly int[] Primes =
    [
        5, 13, 23, 47, 97, 193, 389, 769, 1543, 3079, 6151, 12289, 24593, 49157, 98317, 196613, 393241, 786433,
        1572869, 3145739, 6291469, 12582917, 25165843, 50331653, 100663319, 201326611, 402653189, 805306457, 1610612741,
    ];

    private List<(ulong Hash, T Item)>[] _table;
    private int _entries;
    private T[]? _ordered;

    public HashSetOrder()
    {
        _table = NewTable(NextPrime(0));
    }

    /// <summary>cpHashSetInsert for an element not yet present: pushed at the head of its chain.</summary>
    public void Insert(ulong hash, T item)
    {
        var chain = _table[(int)(hash % (ulong)_table.Length)];
        chain.Insert(0, (hash, item));
        _entries++;
        _ordered = null;
        if (_entries >= _table.Length)
        {
            Resize();
        }
    }

    /// <summary>cpHashSetEach order: bucket by bucket, newest first within a chain (cached until the next insert).</summary>
    public IReadOnlyList<T> Items() => _ordered ??= [.. _table.SelectMany(chain => chain.Select(bin => bin.Item))];

    /// <summary>A copy with every element mapped (same order, same table size).</summary>
    public HashSetOrder<T> CopyWith(Func<T, T> map)
    {
        var copy = new HashSetOrder<T> { _table = new List<(ulong, T)>[_table.Length], _entries = _entries };
        for (int i = 0; i < _table.Length; i++)
        {
            copy._table[i] = [.. _table[i].Select(e => (e.Hash, map(e.Item)))];
        }

        return copy;
    }

    private static int NextPrime(int n)
    {
        int i = 0;
        while (n > Primes[i])
        {
            i++;
        }

        return Primes[i];
    }

    private static List<(ulong, T)>[] NewTable(int size)
    {
        var table = new List<(ulong, T)>[size];
        for (int i = 0; i < size; i++)
        {
            table[i] = [];
        }

        return table;
    }

    /// <summary>cpHashSetResize: chains are walked head to tail and each bin pushed at the head of its new chain.</summary>
    private void Resize()
    {
        var table = NewTable(NextPrime(_table.Length + 1));
        foreach (var chain in _table)
        {
            foreach (var bin in chain)
            {
                table[(int)(bin.Hash % (ulong)table.Length)].Insert(0, bin);
            }
        }

        _table = table;
    }
}
