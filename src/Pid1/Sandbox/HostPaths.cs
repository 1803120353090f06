using System.IO;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>The host's view of a path, read in the parent before clone.</summary>
internal static unsafe class HostPaths
{
    /// <summary>What is at the path, following symlinks (a bind follows them too).</summary>
    public static PathKind Kind(string path) =>
        Directory.Exists(path) ? PathKind.Directory : File.Exists(path) ? PathKind.File : PathKind.Missing;

    /// <summary>
    /// The flags of the mount holding <paramref name="path"/> that a read-only remount must keep: nosuid,
    /// nodev, noexec and the atime mode (the kernel locks them in a user namespace; as root, dropping them
    /// would quietly loosen the source).
    /// </summary>
    public static ulong LockedMountFlags(string path)
    {
        statvfs info;
        byte* cPath = CStrings.From(path);
        int result = Libc.statvfs(cPath, &info);
        System.Runtime.InteropServices.NativeMemory.Free(cPath);
        Check.Ok(result, $"statvfs {path}");
        return ToMountFlags(info.f_flag);
    }

    public static ulong ToMountFlags(ulong statFlags) =>
        Map(statFlags, Libc.ST_NOSUID, Libc.MS_NOSUID)
        | Map(statFlags, Libc.ST_NODEV, Libc.MS_NODEV)
        | Map(statFlags, Libc.ST_NOEXEC, Libc.MS_NOEXEC)
        | Map(statFlags, Libc.ST_NOATIME, Libc.MS_NOATIME)
        | Map(statFlags, Libc.ST_NODIRATIME, Libc.MS_NODIRATIME)
        | Map(statFlags, Libc.ST_RELATIME, Libc.MS_RELATIME);

    private static ulong Map(ulong flags, ulong statFlag, ulong mountFlag) => (flags & statFlag) != 0 ? mountFlag : 0;
}
