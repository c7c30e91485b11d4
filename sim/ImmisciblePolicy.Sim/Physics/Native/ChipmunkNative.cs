using System.Runtime.InteropServices;
using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Physics.Native;

/// <summary>
/// The exported C API of Debian's libchipmunk7 (Chipmunk2D 7.0.3, <c>libchipmunk.so.7</c>), used only to verify
/// the managed port (tests and <c>immiscible bench physics</c>); nothing at run time loads it. Inline header
/// functions are not exported and are not declared. Structs are blittable and passed by value as the SysV
/// x86-64 ABI expects (cpVect: two doubles; cpTransform: six; cpShapeFilter: uintptr_t + two uint32).
/// </summary>
internal static class ChipmunkNative
{
    public const string Library = "libchipmunk.so.7";

    /// <summary>Throws a clear error naming the Debian package when the library cannot be loaded.</summary>
    public static void EnsureAvailable() => EnsureAvailable(Library);

    /// <summary>See <see cref="EnsureAvailable()"/>; the file name is a parameter so the message can be tested.</summary>
    internal static void EnsureAvailable(string library)
    {
        if (!NativeLibrary.TryLoad(library, typeof(ChipmunkNative).Assembly, null, out _))
        {
            throw new DllNotFoundException(
                $"{library} (Chipmunk2D 7.0.3) could not be loaded: install Debian's libchipmunk7 " +
                "(apt-get install libchipmunk7; tests/run installs it) to compare the managed Push-T physics with it.");
        }
    }

    /// <summary>cpVersionString, e.g. "7.0.3".</summary>
    public static string Version()
    {
        EnsureAvailable();
        var handle = NativeLibrary.Load(Library, typeof(ChipmunkNative).Assembly, null);
        nint address = NativeLibrary.GetExport(handle, "cpVersionString");
        return Marshal.PtrToStringAnsi(Marshal.ReadIntPtr(address)) ?? "";
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CpVect(double x, double y)
    {
        public double X = x;
        public double Y = y;

        public static implicit operator CpVect(Vec2 v) => new(v.X, v.Y);

        public readonly Vec2 ToVec2() => new(X, Y);
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CpTransform
    {
        public double A, B, C, D, Tx, Ty;

        public static CpTransform Identity => new() { A = 1, D = 1 };
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CpShapeFilter
    {
        public nuint Group;
        public uint Categories;
        public uint Mask;
    }

    [DllImport(Library)] public static extern nint cpSpaceNew();
    [DllImport(Library)] public static extern void cpSpaceFree(nint space);
    [DllImport(Library)] public static extern void cpSpaceSetGravity(nint space, CpVect gravity);
    [DllImport(Library)] public static extern void cpSpaceSetDamping(nint space, double damping);
    [DllImport(Library)] public static extern int cpSpaceGetIterations(nint space);
    [DllImport(Library)] public static extern double cpSpaceGetCollisionSlop(nint space);
    [DllImport(Library)] public static extern double cpSpaceGetCollisionBias(nint space);
    [DllImport(Library)] public static extern uint cpSpaceGetCollisionPersistence(nint space);
    [DllImport(Library)] public static extern double cpSpaceGetSleepTimeThreshold(nint space);
    [DllImport(Library)] public static extern nint cpSpaceAddBody(nint space, nint body);
    [DllImport(Library)] public static extern nint cpSpaceAddShape(nint space, nint shape);
    [DllImport(Library)] public static extern nint cpSpaceAddCollisionHandler(nint space, nuint a, nuint b);
    [DllImport(Library)] public static extern void cpSpaceStep(nint space, double dt);

    [DllImport(Library)] public static extern nint cpBodyNew(double mass, double moment);
    [DllImport(Library)] public static extern nint cpBodyNewKinematic();
    [DllImport(Library)] public static extern nint cpBodyNewStatic();
    [DllImport(Library)] public static extern void cpBodyFree(nint body);
    [DllImport(Library)] public static extern void cpBodySetPosition(nint body, CpVect position);
    [DllImport(Library)] public static extern CpVect cpBodyGetPosition(nint body);
    [DllImport(Library)] public static extern void cpBodySetAngle(nint body, double angle);
    [DllImport(Library)] public static extern double cpBodyGetAngle(nint body);
    [DllImport(Library)] public static extern void cpBodySetVelocity(nint body, CpVect velocity);
    [DllImport(Library)] public static extern CpVect cpBodyGetVelocity(nint body);
    [DllImport(Library)] public static extern void cpBodySetAngularVelocity(nint body, double w);
    [DllImport(Library)] public static extern double cpBodyGetAngularVelocity(nint body);
    [DllImport(Library)] public static extern void cpBodySetCenterOfGravity(nint body, CpVect cog);
    [DllImport(Library)] public static extern CpVect cpBodyGetCenterOfGravity(nint body);
    [DllImport(Library)] public static extern double cpBodyGetMoment(nint body);

    [DllImport(Library)] public static extern nint cpSegmentShapeNew(nint body, CpVect a, CpVect b, double radius);
    [DllImport(Library)] public static extern nint cpCircleShapeNew(nint body, double radius, CpVect offset);
    [DllImport(Library)] public static extern nint cpPolyShapeNew(nint body, int count, CpVect[] verts, CpTransform transform, double radius);
    [DllImport(Library)] public static extern int cpPolyShapeGetCount(nint shape);
    [DllImport(Library)] public static extern CpVect cpPolyShapeGetVert(nint shape, int index);
    [DllImport(Library)] public static extern void cpShapeFree(nint shape);
    [DllImport(Library)] public static extern void cpShapeSetFilter(nint shape, CpShapeFilter filter);
    [DllImport(Library)] public static extern CpVect cpShapeGetCenterOfGravity(nint shape);

    [DllImport(Library)] public static extern double cpMomentForPoly(double m, int count, CpVect[] verts, CpVect offset, double radius);
    [DllImport(Library)] public static extern CpVect cpCentroidForPoly(int count, CpVect[] verts);
    [DllImport(Library)] public static extern int cpConvexHull(int count, CpVect[] verts, [Out] CpVect[] result, nint first, double tol);
}
