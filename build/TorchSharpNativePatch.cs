// Makes TorchSharp's native glue library load on systems whose libstdc++ is older than the one it was
// linked against (Debian 12, Ubuntu 22.04: libstdc++ up to GLIBCXX_3.4.30/31).
//
// libLibTorchSharp.so 0.107.0 lists GLIBCXX_3.4.32 in its .gnu.version_r (version needs) section for a
// single symbol, _ZSt21ios_base_library_initv, whose only job is to make sure iostreams are initialised;
// older libstdc++ initialise them unconditionally. The dynamic loader refuses a library that needs a
// version the system does not define, unless that need is marked VER_FLG_WEAK (0x2, ELF gABI "Symbol
// Versioning"), in which case it only warns. We set that flag on the copy in the build output, never on the
// NuGet cache, and only when the system libstdc++ lacks the version.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory as the PatchTorchSharpNative task
// (build/TorchSharpNativePatch.targets), and into the core test project, which tests the ELF logic.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImmisciblePolicy.Build
{
    /// <summary>Outcome of marking one version need weak.</summary>
    public enum WeakPatchOutcome
    {
        /// <summary>The flag was set by this call.</summary>
        Patched,
        /// <summary>The need was already weak; nothing changed.</summary>
        AlreadyWeak,
        /// <summary>The library does not need that version at all.</summary>
        NotNeeded,
    }

    /// <summary>ELF64 little-endian reader/patcher for the version-needs section (gABI, "Symbol Versioning").</summary>
    public static class GlibcxxWeakPatch
    {
        public const string Version = "GLIBCXX_3.4.32";
        private const uint ShtGnuVerneed = 0x6ffffffe; // SHT_GNU_verneed
        private const ushort VerFlgWeak = 0x2;           // VER_FLG_WEAK

        /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/>, in place.</summary>
        /// <exception cref="InvalidDataException">Not a little-endian ELF64 file, or a malformed section table.</exception>
        public static WeakPatchOutcome MarkVersionWeak(byte[] elf, string version)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file (bad magic)");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException($"only little-endian ELF64 is supported (EI_CLASS={elf[4]}, EI_DATA={elf[5]})");

            ulong shoff = U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
            if (shoff == 0 || shnum == 0) throw new InvalidDataException("ELF file has no section header table");
            if (shentsize < 64 || shoff + (ulong)shentsize * shnum > (ulong)elf.Length)
                throw new InvalidDataException($"section header table out of bounds (shoff={shoff}, shnum={shnum}, shentsize={shentsize})");

            var outcome = WeakPatchOutcome.NotNeeded;
            for (int i = 0; i < shnum; i++)
            {
                int sh = checked((int)shoff + i * shentsize);
                if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
                int secOff = checked((int)U64(elf, sh + 0x18));
                int link = (int)U32(elf, sh + 0x28);           // section index of the string table (.dynstr)
                uint count = U32(elf, sh + 0x2C);              // sh_info = number of Verneed entries
                if (link >= shnum) throw new InvalidDataException($"version-needs section links to missing section {link}");
                int strOff = checked((int)U64(elf, checked((int)shoff + link * shentsize) + 0x18));

                int vn = secOff;
                for (uint n = 0; n < count; n++)
                {
                    ushort cnt = U16(elf, vn + 2);             // vn_cnt
                    int aux = vn + (int)U32(elf, vn + 8);       // vn_aux
                    for (int a = 0; a < cnt; a++)
                    {
                        // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                        string name = CString(elf, strOff + (int)U32(elf, aux + 8));
                        if (name == version)
                        {
                            ushort flags = U16(elf, aux + 4);
                            if ((flags & VerFlgWeak) != 0) { if (outcome == WeakPatchOutcome.NotNeeded) outcome = WeakPatchOutcome.AlreadyWeak; }
                            else
                            {
                                flags |= VerFlgWeak;
                                elf[aux + 4] = (byte)flags;
                                elf[aux + 5] = (byte)(flags >> 8);
                                outcome = WeakPatchOutcome.Patched;
                            }
                        }
                        uint next = U32(elf, aux + 12);
                        if (next == 0) break;
                        aux += (int)next;
                    }
                    uint vnNext = U32(elf, vn + 12);
                    if (vnNext == 0) break;
                    vn += (int)vnNext;
                }
            }
            return outcome;
        }

        /// <summary>Reads the flags of the first Vernaux entry named <paramref name="version"/>; null when absent.</summary>
        public static ushort? VersionNeedFlags(byte[] elf, string version)
        {
            var copy = (byte[])elf.Clone();
            var before = MarkVersionWeak(copy, version);
            if (before == WeakPatchOutcome.NotNeeded) return null;
            return before == WeakPatchOutcome.AlreadyWeak ? VerFlgWeak : (ushort)0;
        }

        /// <summary>Candidate locations of the system C++ runtime, most specific first.</summary>
        public static IEnumerable<string> SystemLibStdCxxCandidates()
        {
            var ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld))
                foreach (var dir in ld.Split(':'))
                    if (dir.Length > 0) yield return Path.Combine(dir, "libstdc++.so.6");
            foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                                        "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" })
                yield return Path.Combine(dir, "libstdc++.so.6");
        }

        /// <summary>
        /// True when the system libstdc++ defines <paramref name="version"/> (its name is in the library's
        /// version-definition strings), or when there is no system libstdc++ to check (not Linux).
        /// </summary>
        public static bool SystemDefines(string version, out string? library)
        {
            library = null;
            foreach (var path in SystemLibStdCxxCandidates())
            {
                if (!File.Exists(path)) continue;
                library = path;
                return Contains(File.ReadAllBytes(path), Encoding.ASCII.GetBytes(version + "\0"));
            }
            return true;
        }

        /// <summary>Patches <paramref name="path"/> atomically (temp file + rename). Returns what happened.</summary>
        public static WeakPatchOutcome PatchFile(string path, string version)
        {
            var bytes = File.ReadAllBytes(path);
            var outcome = MarkVersionWeak(bytes, version);
            if (outcome != WeakPatchOutcome.Patched) return outcome;
            var tmp = path + ".patching";
            File.WriteAllBytes(tmp, bytes);
            File.Replace(tmp, path, null); // rename over the original: readers never see half a file
            return outcome;
        }

        private static bool Contains(byte[] haystack, byte[] needle)
        {
            // The task is compiled against netstandard2.0 (no span search), hence the plain loop.
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        private static string CString(byte[] b, int off)
        {
            if (off < 0 || off >= b.Length) throw new InvalidDataException($"string offset {off} outside the file");
            int end = Array.IndexOf(b, (byte)0, off);
            if (end < 0) end = b.Length;
            return Encoding.ASCII.GetString(b, off, end - off);
        }

        private static ushort U16(byte[] b, int o) { Check(b, o, 2); return (ushort)(b[o] | b[o + 1] << 8); }
        private static uint U32(byte[] b, int o) { Check(b, o, 4); return BitConverter.ToUInt32(b, o); }
        private static ulong U64(byte[] b, int o) { Check(b, o, 8); return BitConverter.ToUInt64(b, o); }
        private static void Check(byte[] b, int o, int n)
        {
            if (o < 0 || o + n > b.Length) throw new InvalidDataException($"read of {n} bytes at offset {o} outside the file ({b.Length} bytes)");
        }
    }

    /// <summary>MSBuild task: patch every libLibTorchSharp.so below <see cref="Directory"/> when needed.</summary>
    public sealed class PatchTorchSharpNative : Microsoft.Build.Utilities.Task
    {
        [Required] public string Directory { get; set; } = "";

        public override bool Execute()
        {
            if (!System.IO.Directory.Exists(Directory)) return true;
            var libs = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
            if (libs.Length == 0) return true;
            if (GlibcxxWeakPatch.SystemDefines(GlibcxxWeakPatch.Version, out var system))
            {
                Log.LogMessage(MessageImportance.Low, $"{system ?? "no system libstdc++"} defines {GlibcxxWeakPatch.Version}; TorchSharp native library left as shipped");
                return true;
            }
            foreach (var lib in libs)
            {
                try
                {
                    var outcome = GlibcxxWeakPatch.PatchFile(lib, GlibcxxWeakPatch.Version);
                    Log.LogMessage(MessageImportance.Normal, $"{lib}: {GlibcxxWeakPatch.Version} need {outcome} (system {system} lacks it)");
                }
                catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
                {
                    Log.LogError($"Could not patch {lib} for {GlibcxxWeakPatch.Version}: {e.Message}");
                    return false;
                }
            }
            return true;
        }
    }
}
