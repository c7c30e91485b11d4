using ImmisciblePolicy.Build;

namespace ImmisciblePolicy.Core.Tests.Build;

public class GlibcxxWeakPatchTests
{
    private static string ShippedLibrary()
    {
        // The copy in the NuGet cache is the library exactly as shipped (the build patches only output copies).
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void ShippedLibrary_NeedsGlibcxx3432_AsAStrongVersion_AndPatchMakesItWeak()
    {
        var path = ShippedLibrary();
        Assert.True(File.Exists(path), $"expected the TorchSharp native library at {path}");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal((ushort)0, GlibcxxWeakPatch.VersionNeedFlags(bytes, GlibcxxWeakPatch.Version));

        var original = (byte[])bytes.Clone();
        Assert.Equal(WeakPatchOutcome.Patched, GlibcxxWeakPatch.MarkVersionWeak(bytes, GlibcxxWeakPatch.Version));
        Assert.Equal((ushort)2, GlibcxxWeakPatch.VersionNeedFlags(bytes, GlibcxxWeakPatch.Version));

        // Exactly one byte (the low byte of vna_flags) changes, and only by the weak bit.
        var diffs = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != original[i]).ToArray();
        Assert.Single(diffs);
        Assert.Equal(2, bytes[diffs[0]] ^ original[diffs[0]]);

        // Idempotent; other versions untouched.
        Assert.Equal(WeakPatchOutcome.AlreadyWeak, GlibcxxWeakPatch.MarkVersionWeak(bytes, GlibcxxWeakPatch.Version));
        Assert.Equal((ushort)0, GlibcxxWeakPatch.VersionNeedFlags(bytes, "GLIBCXX_3.4.21"));
        Assert.Null(GlibcxxWeakPatch.VersionNeedFlags(bytes, "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void BuildOutputCopy_IsPatchedExactlyWhenTheSystemLacksTheVersion()
    {
        var output = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.NotEmpty(output);
        bool systemHas = GlibcxxWeakPatch.SystemDefines(GlibcxxWeakPatch.Version, out _);
        var flags = GlibcxxWeakPatch.VersionNeedFlags(File.ReadAllBytes(output[0]), GlibcxxWeakPatch.Version);
        Assert.Equal(systemHas ? (ushort)0 : (ushort)2, flags);
    }

    [Fact]
    public void NotAnElfFile_IsRejectedWithAReason()
    {
        var e = Assert.Throws<InvalidDataException>(() => GlibcxxWeakPatch.MarkVersionWeak(new byte[100], "X"));
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
        var truncated = File.ReadAllBytes(ShippedLibrary()).AsSpan(0, 64).ToArray();
        e = Assert.Throws<InvalidDataException>(() => GlibcxxWeakPatch.MarkVersionWeak(truncated, "X"));
        Assert.Contains("out of bounds", e.Message, StringComparison.Ordinal);
    }
}
