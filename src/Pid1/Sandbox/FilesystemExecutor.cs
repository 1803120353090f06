using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// Executes one <see cref="FsStep"/> in the child, between clone and exec: no allocation, no exceptions
/// (DESIGN hazard 5); −errno on failure. Targets inside the new root are resolved with openat2
/// RESOLVE_IN_ROOT under the root's descriptor, so neither a symlink nor ".." can lead a mount outside it,
/// and mounts go onto the resolved descriptor through /proc/self/fd/N (the host's /proc is still there).
/// </summary>
internal static unsafe class FilesystemExecutor
{
    /// <summary>rwxr-xr-x for created mount points, like mkdir -p and bwrap.</summary>
    private const uint DirectoryMode = 0b111_101_101;

    /// <summary>rw-r--r-- for the empty file a file bind is mounted on.</summary>
    private const uint FileMode = 0b110_100_100;

    public static int Execute(FsStep* step) => step->Kind switch
    {
        FsOpKind.Propagation => Libc.mount("none\0"u8.AsPointer(), "/\0"u8.AsPointer(), null, step->Flags, null),
        FsOpKind.BindRootOntoItself => Libc.mount(step->Source, step->Source, null, Libc.MS_BIND | Libc.MS_REC, null),
        FsOpKind.OpenRoot => OpenRoot(step),
        FsOpKind.Mount => MountOnTarget(step, create: true),
        FsOpKind.RemountBind => MountOnTarget(step, create: false),
        FsOpKind.Symlink => Symlink(step),
        FsOpKind.EnterRoot => EnterRoot(step->Context),
        FsOpKind.PivotRoot => Libc.pivot_root(".\0"u8.AsPointer(), ".\0"u8.AsPointer()),
        FsOpKind.DetachOldRoot => Libc.umount2(".\0"u8.AsPointer(), Libc.MNT_DETACH),
        FsOpKind.Chroot => Libc.chroot(".\0"u8.AsPointer()),
        FsOpKind.MountProc => Libc.mount(step->Source, step->Path, *step->Types, step->Flags, null),
        FsOpKind.RemountRoot => Libc.mount(null, "/\0"u8.AsPointer(), null, step->Flags, null),
        FsOpKind.ChangeDirectory => Libc.chdir(step->Path),
        _ => -Libc.EINVAL,
    };

    private static int OpenRoot(FsStep* step)
    {
        int fd = Libc.open(step->Source, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        step->Context->RootFd = fd;
        return fd < 0 ? fd : 0;
    }

    /// <summary>The root's descriptor is not needed once the cwd is there; closing it keeps it out of the init.</summary>
    private static int EnterRoot(FsContext* context)
    {
        int result = Libc.fchdir(context->RootFd);
        Libc.close(context->RootFd);
        context->RootFd = -1;
        return result;
    }

    /// <summary>
    /// Resolves the target (creating it for a mount, not for a remount) and mounts onto its descriptor. A
    /// remount runs as its own step after the bind, so its descriptor is the new mount's root, not what the
    /// bind covers; its source, types and data are NULL.
    /// </summary>
    private static int MountOnTarget(FsStep* step, bool create)
    {
        int fd = Resolve(step, step->Depth, create);
        if (fd < 0)
        {
            return fd;
        }

        byte* target = stackalloc byte[32];
        FdPath(fd, target);
        int result = step->Types == null ? Libc.mount(step->Source, target, null, step->Flags, step->Data) : MountFirstType(step, target);
        Libc.close(fd);
        return result;
    }

    /// <summary>Each type in turn until one accepts the source: an image of unknown type tries every block filesystem.</summary>
    private static int MountFirstType(FsStep* step, byte* target)
    {
        int result = -Libc.EINVAL;
        for (byte** type = step->Types; *type != null && result != 0; type++)
        {
            result = Libc.mount(step->Source, target, *type, step->Flags, step->Data);
        }

        return result;
    }

    private static int Symlink(FsStep* step)
    {
        int parent = Resolve(step, step->Depth - 1, create: true);
        if (parent < 0)
        {
            return parent;
        }

        int result = Libc.symlinkat(step->Source, parent, step->Names[step->Depth - 1]);
        Libc.close(parent);
        return result;
    }

    /// <summary>
    /// Opens the first <paramref name="depth"/> components of the target, each resolved from the root with
    /// RESOLVE_IN_ROOT; a missing one is created in its (equally resolved) parent: a directory, or an empty
    /// file for the last component of a file bind. mkdirat never follows a final symlink, so a dangling link
    /// fails (EEXIST, then ENOENT) instead of creating anything outside. Returns an O_PATH descriptor.
    /// </summary>
    private static int Resolve(FsStep* step, int depth, bool create)
    {
        int root = step->Context->RootFd;
        int current = OpenInRoot(root, ".\0"u8.AsPointer());
        for (int i = 0; i < depth && current >= 0; i++)
        {
            int next = OpenInRoot(root, step->Prefixes[i]);
            if (next == -Libc.ENOENT && create)
            {
                bool file = i == depth - 1 && step->CreateFile;
                int made = file ? MakeFile(current, step->Names[i]) : Libc.mkdirat(current, step->Names[i], DirectoryMode);
                next = made < 0 && made != -Libc.EEXIST ? made : OpenInRoot(root, step->Prefixes[i]);
            }

            Libc.close(current);
            current = next;
        }

        return current;
    }

    private static int OpenInRoot(int root, byte* path)
    {
        var how = new open_how
        {
            flags = (ulong)(Libc.O_PATH | Libc.O_CLOEXEC),
            resolve = Libc.RESOLVE_IN_ROOT | Libc.RESOLVE_NO_MAGICLINKS,
        };
        return Libc.openat2(root, path, &how, (nuint)sizeof(open_how));
    }

    private static int MakeFile(int parent, byte* name)
    {
        int fd = Libc.openat(parent, name, Libc.O_CREAT | Libc.O_EXCL | Libc.O_WRONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, FileMode);
        if (fd >= 0)
        {
            Libc.close(fd);
        }

        return fd < 0 ? fd : 0;
    }

    /// <summary>"/proc/self/fd/N" into a 32-byte buffer, without allocating.</summary>
    private static void FdPath(int fd, byte* buffer)
    {
        System.ReadOnlySpan<byte> prefix = "/proc/self/fd/"u8;
        int n = 0;
        for (; n < prefix.Length; n++)
        {
            buffer[n] = prefix[n];
        }

        byte* digits = stackalloc byte[12];
        int count = 0;
        uint value = (uint)fd;
        do
        {
            digits[count++] = (byte)('0' + (value % 10));
            value /= 10;
        }
        while (value != 0);

        while (count > 0)
        {
            buffer[n++] = digits[--count];
        }

        buffer[n] = 0;
    }
}
