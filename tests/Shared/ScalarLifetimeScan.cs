using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace ImmisciblePolicy.Tests.Shared;

/// <summary>One place where a TorchSharp <see cref="Scalar"/> is created and not kept alive.</summary>
/// <param name="Method">our method (or a TorchSharp root) holding the instruction, "Type.Name(params)".</param>
/// <param name="Offset">IL offset of the instruction.</param>
/// <param name="Problem">the creating call and what happens to the Scalar, or the TorchSharp call that does so inside.</param>
/// <param name="Path">how the scan reached <paramref name="Method"/> from a root.</param>
public sealed record ScalarFinding(string Method, int Offset, string Problem, string Path)
{
    /// <inheritdoc />
    public override string ToString() => $"{Method} @IL_{Offset:x4}: {Problem}\n    via {Path}";
}

/// <summary>
/// Finds TorchSharp <see cref="Scalar"/> temporaries on a call graph by reading method bodies as IL (no Roslyn):
/// starting at root methods, it follows every call into our assemblies and into TorchSharp, and flags each
/// instruction that creates a new Scalar (<c>Scalar.op_Implicit</c>, <c>ToScalar</c>, <c>new Scalar</c>, or a
/// method that returns one of those) unless the very next instruction keeps it alive: a store to a field, a
/// store to a local that the method later disposes (<c>using var s = x.ToScalar()</c>), or a return (then the
/// caller is checked in turn). Anything else is a temporary: TorchSharp 0.107 passes <c>scalar.Handle</c> to
/// libtorch and nothing references the Scalar during the native call, so a collection on another thread can
/// finalize it mid-call (docs/design.md "Native safety").
/// </summary>
/// <remarks>
/// Virtual and interface calls are followed to their declaration and to every override in our assemblies;
/// TorchSharp modules reached only through a virtual call (the children of a Sequential) are added as roots by
/// <see cref="AddModuleTree"/> from a real instance. Delegates are followed where they are created (ldftn).
/// The scan is path-insensitive: a Scalar created on an error path counts too.
/// </remarks>
public sealed class ScalarLifetimeScan
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private readonly HashSet<Assembly> _follow;
    private readonly HashSet<Assembly> _ours;
    private readonly HashSet<MethodBase> _roots = [];
    private readonly List<Type> _ourTypes;
    private readonly Queue<(MethodBase Method, string Path)> _queue = new();
    private readonly HashSet<MethodBase> _seen = [];
    private readonly Dictionary<MethodBase, bool> _producers = [];

    /// <param name="ours">our assemblies: followed, and searched for overrides of virtual calls declared in them or in TorchSharp.</param>
    public ScalarLifetimeScan(params Assembly[] ours)
    {
        _ours = [.. ours];
        _follow = [.. ours, typeof(Scalar).Assembly];
        _ourTypes = ours.SelectMany(a => a.GetTypes()).ToList();
    }

    /// <summary>Methods scanned so far (for a sanity check that the walk went deep).</summary>
    public int MethodsScanned => _seen.Count;

    /// <summary>Names of every scanned method, "Type.Name".</summary>
    public IEnumerable<string> ScannedMethodNames => _seen.Select(Describe);

    /// <summary>Adds a root method.</summary>
    public ScalarLifetimeScan AddRoot(MethodBase method, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        _roots.Add(Normalize(method));
        Enqueue(method, label ?? Describe(method));
        return this;
    }

    /// <summary>Adds every method named <paramref name="name"/> declared on <paramref name="type"/> (all overloads).</summary>
    public ScalarLifetimeScan AddRoots(Type type, string name)
    {
        var methods = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.Name == name).ToList();
        if (methods.Count == 0) throw new ArgumentException($"{type.Name} declares no method {name}", nameof(name));
        foreach (var m in methods) AddRoot(m);
        return this;
    }

    /// <summary>Adds the forward methods of every module type in the tree of <paramref name="module"/>.</summary>
    public ScalarLifetimeScan AddModuleTree(torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var type in module.modules().Select(m => m.GetType()).Append(module.GetType()).Distinct())
        {
            for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            {
                var forwards = t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(m => m.Name == "forward").ToList();
                foreach (var f in forwards) AddRoot(f, $"{type.Name} (module tree).forward");
                if (forwards.Count > 0) break;
            }
        }
        return this;
    }

    /// <summary>
    /// Walks the call graph from the roots. Returns one finding per Scalar temporary created in our code, per call
    /// from our code into a TorchSharp method that creates one (directly or further down, named in the finding),
    /// and per TorchSharp root (a module's forward) that creates one.
    /// </summary>
    public IReadOnlyList<ScalarFinding> Run()
    {
        while (_queue.Count > 0)
        {
            var (method, path) = _queue.Dequeue();
            _paths[method] = path;
            var il = Decode(method);
            if (il is null) continue;
            var direct = new List<(int, string)>();
            var calls = new List<(int, MethodBase)>();
            for (int i = 0; i < il.Count; i++)
            {
                var ins = il[i];
                if (ins.Target is not MethodBase target) continue;
                if (IsProducer(target) && UseOf(il, i) is { } use) direct.Add((ins.Offset, $"{Describe(target)} {use}"));
                foreach (var next in Callees(target, ins.OpCode))
                {
                    var callee = Normalize(next);
                    if (!_follow.Contains(callee.Module.Assembly)) continue;
                    calls.Add((ins.Offset, callee));
                    Enqueue(callee, path + " -> " + Describe(callee));
                }
            }
            _direct[method] = direct;
            _calls[method] = calls;
        }

        var findings = new List<ScalarFinding>();
        foreach (var method in _seen)
        {
            bool ours = _ours.Contains(method.Module.Assembly);
            if (!ours && !_roots.Contains(method)) continue;
            var path = _paths.GetValueOrDefault(method, Describe(method));
            if (!ours)
            {
                if (Witness(method) is { } w) findings.Add(new ScalarFinding(Describe(method), 0, w, path));
                continue;
            }
            foreach (var (offset, problem) in _direct.GetValueOrDefault(method) ?? [])
                findings.Add(new ScalarFinding(Describe(method), offset, problem, path));
            foreach (var (offset, callee) in _calls.GetValueOrDefault(method) ?? [])
                if (!_ours.Contains(callee.Module.Assembly) && Witness(callee) is { } w)
                    findings.Add(new ScalarFinding(Describe(method), offset, "calls " + w, path));
        }
        return findings.OrderBy(f => f.Method, StringComparer.Ordinal).ThenBy(f => f.Offset).ToList();
    }

    private readonly Dictionary<MethodBase, List<(int Offset, string Problem)>> _direct = [];
    private readonly Dictionary<MethodBase, List<(int Offset, MethodBase Callee)>> _calls = [];
    private readonly Dictionary<MethodBase, string> _paths = [];
    private readonly Dictionary<MethodBase, string?> _witness = [];

    /// <summary>For a TorchSharp method: how it (or a TorchSharp method it calls) creates a temporary Scalar, or null.</summary>
    private string? Witness(MethodBase method)
    {
        if (_witness.TryGetValue(method, out var known)) return known;
        _witness[method] = null; // cycle guard
        string? result = null;
        if (_direct.GetValueOrDefault(method) is { Count: > 0 } direct)
            result = $"{Describe(method)}, where {direct[0].Problem}";
        else
            foreach (var (_, callee) in _calls.GetValueOrDefault(method) ?? [])
                if (!_ours.Contains(callee.Module.Assembly) && Witness(callee) is { } w) { result = $"{Describe(method)} -> {w}"; break; }
        return _witness[method] = result;
    }

    private static MethodBase Normalize(MethodBase method) =>
        method is MethodInfo { IsGenericMethod: true, IsGenericMethodDefinition: false } mi ? mi.GetGenericMethodDefinition() : method;

    private void Enqueue(MethodBase method, string path)
    {
        method = Normalize(method);
        if (!_follow.Contains(method.Module.Assembly)) return;
        if (_seen.Add(method)) _queue.Enqueue((method, path));
    }

    /// <summary>The declared target plus, for virtual/interface calls, every override in our assemblies.</summary>
    private IEnumerable<MethodBase> Callees(MethodBase target, OpCode op)
    {
        yield return target;
        if (target is not MethodInfo mi || !(mi.IsVirtual || mi.IsAbstract) || op == OpCodes.Call) yield break;
        var declaring = mi.DeclaringType!;
        if (!_follow.Contains(declaring.Assembly)) yield break; // object.ToString, IDisposable.Dispose, ...: not hot-path dispatch
        foreach (var type in _ourTypes)
        {
            if (type.IsInterface || type == declaring) continue;
            if (declaring.IsInterface)
            {
                var iface = type.GetInterfaces().FirstOrDefault(i => i == declaring
                    || (i.IsGenericType && declaring.IsGenericType && i.GetGenericTypeDefinition() == declaring.GetGenericTypeDefinition()));
                if (iface is null || type.IsAbstract) continue;
                var map = type.GetInterfaceMap(iface);
                for (int k = 0; k < map.InterfaceMethods.Length; k++)
                    if (map.InterfaceMethods[k].Name == mi.Name) yield return map.TargetMethods[k];
            }
            else if (DerivesFrom(type, declaring))
            {
                foreach (var m in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                    if (m.Name == mi.Name && m.GetBaseDefinition() is var b && (b == mi.GetBaseDefinition() || SameSlot(b, mi)))
                        yield return m;
            }
        }
    }

    private static bool SameSlot(MethodInfo a, MethodInfo b) =>
        a.Name == b.Name && a.DeclaringType is { IsGenericType: true } da && b.DeclaringType is { IsGenericType: true } db
        && da.GetGenericTypeDefinition() == db.GetGenericTypeDefinition();

    private static bool DerivesFrom(Type type, Type baseType)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t == baseType) return true;
            if (t.IsGenericType && baseType.IsGenericType && t.GetGenericTypeDefinition() == baseType.GetGenericTypeDefinition()) return true;
        }
        return false;
    }

    /// <summary>True when calling <paramref name="method"/> yields a Scalar nobody else holds.</summary>
    private bool IsProducer(MethodBase method)
    {
        if (method is ConstructorInfo ctor) return ctor.DeclaringType == typeof(Scalar);
        if (method is not MethodInfo mi || mi.ReturnType != typeof(Scalar)) return false;
        if (_producers.TryGetValue(method, out var known)) return known;
        if (mi.Name is "op_Implicit" or "ToScalar") return _producers[method] = true;
        _producers[method] = false; // recursion guard
        var il = Decode(method);
        bool result = il is null || il.Any(i => i.Target is MethodBase t && (t is ConstructorInfo c ? c.DeclaringType == typeof(Scalar) : IsProducer(t)));
        return _producers[method] = result;
    }

    /// <summary>Null when instruction <paramref name="i"/>'s Scalar is kept alive; otherwise what happens to it.</summary>
    private static string? UseOf(List<Instruction> il, int i)
    {
        if (i + 1 >= il.Count) return "end of method";
        var next = il[i + 1];
        if (next.OpCode == OpCodes.Stsfld || next.OpCode == OpCodes.Stfld || next.OpCode == OpCodes.Ret) return null;
        if (StoredLocal(next) is int local)
        {
            for (int k = 0; k + 1 < il.Count; k++)
                if (LoadedLocal(il[k]) == local && il[k + 1].Target is MethodInfo { Name: "Dispose" }) return null;
            return $"is stored in local {local} and never disposed (collectable after its last use)";
        }
        return next.Target is MethodBase m ? "is passed to " + Describe(m) : "is used by " + next.OpCode.Name + " (an argument of a later call)";
    }

    private static int? StoredLocal(Instruction ins) => ins.OpCode.Value switch
    {
        0x0A => 0, 0x0B => 1, 0x0C => 2, 0x0D => 3,
        0x13 or unchecked((short)0xFE0E) => ins.Operand,
        _ => null,
    };

    private static int? LoadedLocal(Instruction ins) => ins.OpCode.Value switch
    {
        0x06 => 0, 0x07 => 1, 0x08 => 2, 0x09 => 3,
        0x11 or unchecked((short)0xFE0C) => ins.Operand,
        _ => null,
    };

    private static MethodBody? Body(MethodBase method)
    {
        try { return method.GetMethodBody(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or BadImageFormatException) { return null; }
    }

    private readonly record struct Instruction(int Offset, OpCode OpCode, int Operand, MemberInfo? Target);

    private readonly Dictionary<MethodBase, List<Instruction>?> _decoded = [];

    /// <summary>The method's instructions with call targets resolved; null when it has no IL body.</summary>
    private List<Instruction>? Decode(MethodBase method)
    {
        if (_decoded.TryGetValue(method, out var cached)) return cached;
        var body = Body(method);
        if (body is null) return _decoded[method] = null;
        var bytes = body.GetILAsByteArray() ?? [];
        var list = new List<Instruction>();
        int pos = 0;
        while (pos < bytes.Length)
        {
            int start = pos;
            short value = bytes[pos++];
            if (value == 0xFE) value = unchecked((short)(0xFE00 | bytes[pos++]));
            var op = OpCodesByValue[value];
            int operand = 0;
            MemberInfo? target = null;
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    operand = bytes[pos]; pos += 1; break;
                case OperandType.InlineVar:
                    operand = BitConverter.ToUInt16(bytes, pos); pos += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    pos += 8; break;
                case OperandType.InlineSwitch:
                    int n = BitConverter.ToInt32(bytes, pos); pos += 4 + 4 * n; break;
                case OperandType.InlineMethod:
                    operand = BitConverter.ToInt32(bytes, pos); pos += 4;
                    target = Resolve(method, operand);
                    break;
                default:
                    operand = BitConverter.ToInt32(bytes, pos); pos += 4; break;
            }
            list.Add(new Instruction(start, op, operand, target));
        }
        return _decoded[method] = list;
    }

    private static MemberInfo? Resolve(MethodBase owner, int token)
    {
        try
        {
            var typeArgs = owner.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
            var methodArgs = owner.IsGenericMethod ? owner.GetGenericArguments() : null;
            return owner.Module.ResolveMethod(token, typeArgs, methodArgs);
        }
        catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException or FileNotFoundException)
        {
            return null;
        }
    }

    private static string Describe(MethodBase m) =>
        $"{TypeName(m.DeclaringType)}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => TypeName(p.ParameterType)))})";

    private static string TypeName(Type? t)
    {
        if (t is null) return "?";
        if (!t.IsGenericType) return t.Name;
        var name = t.Name.Split('`')[0];
        return $"{name}<{string.Join(", ", t.GetGenericArguments().Select(TypeName))}>";
    }
}
