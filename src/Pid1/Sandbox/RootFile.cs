using System.IO;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>Reads a small file of the new root before clone, resolving its path as the sandbox will.</summary>
internal static unsafe class RootFile
{
    /// <summary>
    /// The text of <paramref name="relative"/> under <paramref name="root"/>, or null when the file (not the
    /// root) does not exist. RESOLVE_IN_ROOT makes an absolute symlink in the image (etc/passwd →
    /// /usr/share/...) resolve inside the root, never on the host.
    /// </summary>
    public static string? ReadIfExists(string root, string relative)
    {
        string shown = Path.Join(root, relative);
        byte* rootPath = CStrings.From(root);
        byte* path = CStrings.From(relative);
        int rootFd = Check.Ok(Libc.open(rootPath, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0), $"open the root {root}");
        try
        {
            var how = new open_how { flags = (ulong)(Libc.O_RDONLY | Libc.O_CLOEXEC), resolve = Libc.RESOLVE_IN_ROOT };
            int fd = Libc.openat2(rootFd, path, &how, (nuint)sizeof(open_how));
            if (fd == -Libc.ENOENT)
            {
                return null;
            }

            Check.Ok(fd, $"open {shown}");
            try
            {
                return FdText.ReadToEnd(fd, shown);
            }
            finally
            {
                Libc.close(fd);
            }
        }
        finally
        {
            Libc.close(rootFd);
            System.Runtime.InteropServices.NativeMemory.Free(rootPath);
            System.Runtime.InteropServices.NativeMemory.Free(path);
        }
    }
}
