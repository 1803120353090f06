using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>The host's view of a path, read in the parent before clone.</summary>
internal static unsafe class HostPaths
{
    /// <summary>What is at the path, following symlinks (a bind follows them too).</summary>
    public static PathKind Kind(string path)
    {
        statx info;
        int result = Files.Stat(path, Libc.STATX_TYPE, &info);
        return result < 0 ? PathKind.Missing : (info.stx_mode & Libc.S_IFMT) == Libc.S_IFDIR ? PathKind.Directory : PathKind.File;
    }
}
