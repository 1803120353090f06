using System.Runtime.InteropServices;
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

    /// <summary>A small text file such as /proc/filesystems.</summary>
    public static string ReadText(string path)
    {
        int fd = Open(path);
        Check.Ok(fd, $"open {path}");
        return ReadAndClose(fd, path);
    }

    private static int Open(string path)
    {
        byte* cPath = CStrings.From(path);
        int fd = Libc.open(cPath, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        NativeMemory.Free(cPath);
        return fd;
    }

    private static string ReadAndClose(int fd, string path)
    {
        try
        {
            return FdText.ReadToEnd(fd, path);
        }
        finally
        {
            Libc.close(fd);
        }
    }
}
