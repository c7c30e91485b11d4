namespace ImmisciblePolicy.Sim.Physics;

/// <summary>
/// Chipmunk's default broadphase (cpBBTree, src/cpBBTree.c): an incrementally built AABB tree whose leaves
/// keep a cached list of overlapping leaf pairs. The space has a static tree (the walls) and a dynamic tree
/// (agent and T); the dynamic tree fattens each leaf box by 10 % of its size or 0.1 s of velocity and only
/// re-inserts a leaf whose shape has left its fat box. Each step, <see cref="ReindexQuery"/> re-inserts moved
/// leaves (in <see cref="HashSetOrder{T}"/> order), then walks the tree and reports pairs: re-inserted leaves
/// query the static tree and their siblings afresh; unmoved leaves replay their cached pairs, passing each
/// pair's collision id (the GJK warm start) and storing the returned one. The order of these reports is the
/// order arbiters are created and solved in, so this class follows the C code line by line.
/// </summary>
internal sealed class BBTree
{
    /// <summary>cpBBTree's leaf fattening coefficient, the float literal 0.1f widened to double.</summary>
    private const double FattenCoef = 0.1f;

    private readonly bool _fattenByVelocity;
    private HashSetOrder<Node> _leaves = new();
    private Node? _root;
    private uint _stamp;
    private BBTree? _staticIndex;
    private BBTree? _dynamicIndex;

    /// <summary>
    /// cpBBTreeNew(cpShapeGetBB, staticIndex); the dynamic tree also gets cpBBTreeSetVelocityFunc with the
    /// shape's body velocity (cpSpaceInit).
    /// </summary>
    public BBTree(BBTree? staticIndex, bool fattenByVelocity)
    {
        _fattenByVelocity = fattenByVelocity;
        _staticIndex = staticIndex;
        if (staticIndex is not null)
        {
            staticIndex._dynamicIndex = this;
        }
    }

    /// <summary>Reports a candidate pair; returns the collision id to cache for the pair.</summary>
    public delegate uint QueryFunc(Shape a, Shape b, uint id);

    /// <summary>cpSpatialIndexEach(index, cpShapeUpdateFunc): caches every shape's box at its body's transform.</summary>
    public void CacheShapeBBs()
    {
        var leaves = _leaves.Items();
        for (int i = 0; i < leaves.Count; i++)
        {
            leaves[i].Obj!.CacheBB();
        }
    }

    /// <summary>cpBBTreeInsert.</summary>
    public void Insert(Shape obj, ulong hashid)
    {
        var leaf = new Node { Obj = obj, BB = GetBB(obj) };
        _leaves.Insert(hashid, leaf);
        _root = SubtreeInsert(_root, leaf);
        leaf.Stamp = MasterTree.Stamp;
        LeafAddPairs(leaf);
        IncrementStamp();
    }

    /// <summary>cpBBTreeReindexQuery: updates moved leaves, then reports every candidate pair to <paramref name="func"/>.</summary>
    public void ReindexQuery(QueryFunc func)
    {
        if (_root is null)
        {
            return;
        }

        var leaves = _leaves.Items();
        for (int i = 0; i < leaves.Count; i++)
        {
            LeafUpdate(leaves[i]);
        }

        var context = new MarkContext(this, _staticIndex?._root, func);
        MarkSubtree(_root!, context);
        IncrementStamp();
    }

    /// <summary>
    /// Deep copies of a static tree and the dynamic tree linked to it (nodes, cached pairs with their ids,
    /// stamps, hash order), with every leaf's shape replaced through <paramref name="map"/>.
    /// </summary>
    public static (BBTree Static, BBTree Dynamic) CopyPair(BBTree staticTree, BBTree dynamicTree, Func<Shape, Shape> map)
    {
        var copier = new GraphCopier(map);
        var staticCopy = new BBTree(null, staticTree._fattenByVelocity) { _stamp = staticTree._stamp };
        var dynamicCopy = new BBTree(staticCopy, dynamicTree._fattenByVelocity) { _stamp = dynamicTree._stamp };
        staticCopy._root = copier.Map(staticTree._root);
        staticCopy._leaves = staticTree._leaves.CopyWith(l => copier.Map(l)!);
        dynamicCopy._root = copier.Map(dynamicTree._root);
        dynamicCopy._leaves = dynamicTree._leaves.CopyWith(l => copier.Map(l)!);
        copier.Finish();
        return (staticCopy, dynamicCopy);
    }

    private BBTree MasterTree => _dynamicIndex ?? this;

    private uint Stamp => _stamp;

    // ---- Boxes and stamps ----

    /// <summary>GetBB: the shape's box, fattened in the dynamic tree.</summary>
    private BB GetBB(Shape obj)
    {
        BB bb = obj.BB;
        if (!_fattenByVelocity)
        {
            return bb;
        }

        double x = (bb.R - bb.L) * FattenCoef;
        double y = (bb.T - bb.B) * FattenCoef;
        var v = obj.Body.V * FattenCoef;
        return new BB(bb.L + CpMath.Min(-x, v.X), bb.B + CpMath.Min(-y, v.Y), bb.R + CpMath.Max(x, v.X), bb.T + CpMath.Max(y, v.Y));
    }

    private void IncrementStamp()
    {
        if (_dynamicIndex is not null)
        {
            _dynamicIndex._stamp++;
        }
        else
        {
            _stamp++;
        }
    }

    // ---- Pairs and threads ----

    private static void PairInsert(Node a, Node b)
    {
        Pair? nextA = a.Pairs, nextB = b.Pairs;
        var pair = new Pair();
        pair.A = new Thread(null, a, nextA);
        pair.B = new Thread(null, b, nextB);
        a.Pairs = b.Pairs = pair;
        if (nextA is not null)
        {
            if (nextA.A.Leaf == a)
            {
                nextA.A.Prev = pair;
            }
            else
            {
                nextA.B.Prev = pair;
            }
        }

        if (nextB is not null)
        {
            if (nextB.A.Leaf == b)
            {
                nextB.A.Prev = pair;
            }
            else
            {
                nextB.B.Prev = pair;
            }
        }
    }

    private static void ThreadUnlink(Thread thread)
    {
        Pair? next = thread.Next;
        Pair? prev = thread.Prev;
        if (next is not null)
        {
            if (next.A.Leaf == thread.Leaf)
            {
                next.A.Prev = prev;
            }
            else
            {
                next.B.Prev = prev;
            }
        }

        if (prev is not null)
        {
            if (prev.A.Leaf == thread.Leaf)
            {
                prev.A.Next = next;
            }
            else
            {
                prev.B.Next = next;
            }
        }
        else
        {
            thread.Leaf.Pairs = next;
        }
    }

    private static void PairsClear(Node leaf)
    {
        Pair? pair = leaf.Pairs;
        leaf.Pairs = null;
        while (pair is not null)
        {
            if (pair.A.Leaf == leaf)
            {
                Pair? next = pair.A.Next;
                ThreadUnlink(pair.B);
                pair = next;
            }
            else
            {
                Pair? next = pair.B.Next;
                ThreadUnlink(pair.A);
                pair = next;
            }
        }
    }

    // ---- Nodes and subtrees ----

    private static Node NodeNew(Node a, Node b)
    {
        var node = new Node { BB = a.BB.Merge(b.BB) };
        node.SetA(a);
        node.SetB(b);
        return node;
    }

    private static void NodeReplaceChild(Node parent, Node child, Node value)
    {
        if (parent.A == child)
        {
            parent.SetA(value);
        }
        else
        {
            parent.SetB(value);
        }

        for (Node? node = parent; node is not null; node = node.Parent)
        {
            node.BB = node.A!.BB.Merge(node.B!.BB);
        }
    }

    /// <summary>cpBBProximity: Manhattan distance between box centres (times 2).</summary>
    private static double Proximity(BB a, BB b) => CpMath.Abs(a.L + a.R - b.L - b.R) + CpMath.Abs(a.B + a.T - b.B - b.T);

    private static Node SubtreeInsert(Node? subtree, Node leaf)
    {
        if (subtree is null)
        {
            return leaf;
        }

        if (subtree.IsLeaf)
        {
            return NodeNew(leaf, subtree);
        }

        double costA = subtree.B!.BB.Area + subtree.A!.BB.MergedArea(leaf.BB);
        double costB = subtree.A.BB.Area + subtree.B.BB.MergedArea(leaf.BB);
        if (costA == costB)
        {
            costA = Proximity(subtree.A.BB, leaf.BB);
            costB = Proximity(subtree.B.BB, leaf.BB);
        }

        if (costB < costA)
        {
            subtree.SetB(SubtreeInsert(subtree.B, leaf));
        }
        else
        {
            subtree.SetA(SubtreeInsert(subtree.A, leaf));
        }

        subtree.BB = subtree.BB.Merge(leaf.BB);
        return subtree;
    }

    private static Node? SubtreeRemove(Node subtree, Node leaf)
    {
        if (leaf == subtree)
        {
            return null;
        }

        Node parent = leaf.Parent!;
        if (parent == subtree)
        {
            Node other = subtree.Other(leaf);
            other.Parent = subtree.Parent;
            return other;
        }

        NodeReplaceChild(parent.Parent!, parent, parent.Other(leaf));
        return subtree;
    }

    // ---- Marking (pair reports) ----

    private sealed record MarkContext(BBTree Tree, Node? StaticRoot, QueryFunc? Func);

    private static void MarkLeafQuery(Node subtree, Node leaf, bool left, MarkContext context)
    {
        if (!leaf.BB.Intersects(subtree.BB))
        {
            return;
        }

        if (subtree.IsLeaf)
        {
            if (left)
            {
                PairInsert(leaf, subtree);
            }
            else
            {
                if (subtree.Stamp < leaf.Stamp)
                {
                    PairInsert(subtree, leaf);
                }

                // A fresh pair is reported with id 0 and the returned id is dropped (cpBBTree.c).
                context.Func?.Invoke(leaf.Obj!, subtree.Obj!, 0);
            }
        }
        else
        {
            MarkLeafQuery(subtree.A!, leaf, left, context);
            MarkLeafQuery(subtree.B!, leaf, left, context);
        }
    }

    private static void MarkLeaf(Node leaf, MarkContext context)
    {
        BBTree tree = context.Tree;
        if (leaf.Stamp == tree.MasterTree.Stamp)
        {
            if (context.StaticRoot is { } staticRoot)
            {
                MarkLeafQuery(staticRoot, leaf, false, context);
            }

            for (Node node = leaf; node.Parent is not null; node = node.Parent)
            {
                if (node == node.Parent.A)
                {
                    MarkLeafQuery(node.Parent.B!, leaf, true, context);
                }
                else
                {
                    MarkLeafQuery(node.Parent.A!, leaf, false, context);
                }
            }
        }
        else
        {
            Pair? pair = leaf.Pairs;
            while (pair is not null)
            {
                if (leaf == pair.B.Leaf)
                {
                    if (context.Func is { } func)
                    {
                        pair.Id = func(pair.A.Leaf.Obj!, leaf.Obj!, pair.Id);
                    }

                    pair = pair.B.Next;
                }
                else
                {
                    pair = pair.A.Next;
                }
            }
        }
    }

    private static void MarkSubtree(Node subtree, MarkContext context)
    {
        if (subtree.IsLeaf)
        {
            MarkLeaf(subtree, context);
        }
        else
        {
            MarkSubtree(subtree.A!, context);
            MarkSubtree(subtree.B!, context);
        }
    }

    // ---- Leaves ----

    private bool LeafUpdate(Node leaf)
    {
        BB bb = leaf.Obj!.BB;
        if (leaf.BB.Contains(bb))
        {
            return false;
        }

        leaf.BB = GetBB(leaf.Obj);
        Node? root = SubtreeRemove(_root!, leaf);
        _root = SubtreeInsert(root, leaf);
        PairsClear(leaf);
        leaf.Stamp = MasterTree.Stamp;
        return true;
    }

    private void LeafAddPairs(Node leaf)
    {
        if (_dynamicIndex is { } dynamicTree)
        {
            if (dynamicTree._root is { } dynamicRoot)
            {
                MarkLeafQuery(dynamicRoot, leaf, true, new MarkContext(dynamicTree, null, null));
            }
        }
        else
        {
            MarkLeaf(leaf, new MarkContext(this, _staticIndex?._root, null));
        }
    }

    /// <summary>A tree node: a leaf holds a shape, its fat box, a stamp and its pair list; an inner node two children.</summary>
    private sealed class Node
    {
        public Shape? Obj;
        public BB BB;
        public Node? Parent;
        public Node? A;
        public Node? B;
        public uint Stamp;
        public Pair? Pairs;

        public bool IsLeaf => Obj is not null;

        public void SetA(Node value)
        {
            A = value;
            value.Parent = this;
        }

        public void SetB(Node value)
        {
            B = value;
            value.Parent = this;
        }

        public Node Other(Node child) => A == child ? B! : A!;
    }

    /// <summary>A cached overlapping pair, threaded into both leaves' pair lists, with its collision id.</summary>
    private sealed class Pair
    {
        public Thread A;
        public Thread B;
        public uint Id;
    }

    /// <summary>One leaf's link in a pair: the previous and next pairs of that leaf's list.</summary>
    private struct Thread(Pair? prev, Node leaf, Pair? next)
    {
        public Pair? Prev = prev;
        public Node Leaf = leaf;
        public Pair? Next = next;
    }

    /// <summary>Copies the node/pair graph of both trees once, preserving every link.</summary>
    private sealed class GraphCopier(Func<Shape, Shape> map)
    {
        private readonly Dictionary<Node, Node> _nodes = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<Pair, Pair> _pairs = new(ReferenceEqualityComparer.Instance);
        private readonly Queue<Node> _nodeQueue = new();
        private readonly Queue<Pair> _pairQueue = new();

        public Node? Map(Node? node)
        {
            if (node is null)
            {
                return null;
            }

            if (!_nodes.TryGetValue(node, out var copy))
            {
                copy = new Node { Obj = node.Obj is null ? null : map(node.Obj), BB = node.BB, Stamp = node.Stamp };
                _nodes.Add(node, copy);
                _nodeQueue.Enqueue(node);
            }

            return copy;
        }

        public void Finish()
        {
            while (_nodeQueue.Count > 0 || _pairQueue.Count > 0)
            {
                while (_nodeQueue.TryDequeue(out var node))
                {
                    var copy = _nodes[node];
                    copy.Parent = Map(node.Parent);
                    copy.A = Map(node.A);
                    copy.B = Map(node.B);
                    copy.Pairs = MapPair(node.Pairs);
                }

                while (_pairQueue.TryDequeue(out var pair))
                {
                    var copy = _pairs[pair];
                    copy.A = new Thread(MapPair(pair.A.Prev), Map(pair.A.Leaf)!, MapPair(pair.A.Next));
                    copy.B = new Thread(MapPair(pair.B.Prev), Map(pair.B.Leaf)!, MapPair(pair.B.Next));
                }
            }
        }

        private Pair? MapPair(Pair? pair)
        {
            if (pair is null)
            {
                return null;
            }

            if (!_pairs.TryGetValue(pair, out var copy))
            {
                copy = new Pair { Id = pair.Id };
                _pairs.Add(pair, copy);
                _pairQueue.Enqueue(pair);
            }

            return copy;
        }
    }
}
