namespace ImmisciblePolicy.Core.Training;

/// <summary>
/// Writes a checkpoint as a whole directory, atomically: the files go into a fresh sibling directory which
/// then replaces the target by rename, so a crash leaves either the previous checkpoint or the new one,
/// never a mixture. A crash between the two renames leaves the previous checkpoint at
/// <c>&lt;dir&gt;.previous</c>, which <see cref="Resolve"/> falls back to.
/// </summary>
public static class CheckpointDirectory
{
    private const string PreviousSuffix = ".previous";

    /// <summary>Creates <paramref name="directory"/> with the files <paramref name="write"/> puts in the directory it is given.</summary>
    public static void WriteAtomically(string directory, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(write);
        var target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        var previous = target + PreviousSuffix;
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
            if (Directory.Exists(target)) Directory.Move(target, previous);
            Directory.Move(temp, target);
            if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// The directory to read a checkpoint from: <paramref name="directory"/> itself, or its
    /// <c>.previous</c> copy when a crash interrupted the replacement; null when neither exists.
    /// </summary>
    public static string? Resolve(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        if (Directory.Exists(target)) return target;
        return Directory.Exists(target + PreviousSuffix) ? target + PreviousSuffix : null;
    }
}
