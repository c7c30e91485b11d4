namespace ImmisciblePolicy.Server.Inference;

/// <summary>
/// Path checks for the admin LoadPolicy call: where a requested checkpoint directory really is (every symlink
/// along the path followed, like POSIX realpath) and whether that lies inside an allowed root.
/// </summary>
public static class PolicyPaths
{
    private const int MaxLinks = 40; // Linux's MAXSYMLINKS: a longer chain is a loop.

    /// <summary>
    /// The absolute path of <paramref name="path"/> with <c>.</c>, <c>..</c> and every symlink component resolved.
    /// Components that do not exist are kept as written (a missing directory resolves to where it would be).
    /// </summary>
    public static string RealPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var pending = new Stack<string>(Components(full[root.Length..]).Reverse());
        var current = root;
        int links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Combine(current, part);
            FileSystemInfo info = new DirectoryInfo(next);
            if (!info.Exists && File.Exists(next)) info = new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                if (++links > MaxLinks) throw new IOException($"too many levels of symbolic links resolving '{path}'");
                // The target's components replace the link's: a relative target continues from the link's
                // directory, an absolute one from its root; its own '..' and links are resolved by this loop.
                foreach (var p in Components(target).Reverse()) pending.Push(p);
                if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target) ?? root;
                continue;
            }
            current = next;
        }
        return current;
    }

    private static string[] Components(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or below it (both already real paths).</summary>
    public static bool IsInside(string path, string root)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(root);
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var r = Path.TrimEndingDirectorySeparator(root);
        var p = Path.TrimEndingDirectorySeparator(path);
        return p.Equals(r, comparison) || p.StartsWith(r + Path.DirectorySeparatorChar, comparison);
    }
}
