using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// Executes one <see cref="FsStep"/> in the child, between clone and exec: no allocation, no exceptions
/// (DESIGN hazard 5); −errno on failure. Targets inside the new root are resolved with openat2
/// RESOLVE_IN_ROOT under the root's descriptor, so neither a symlink nor ".." can lead a mount outside it,
/// and mounts go onto the resolved directory as the cwd, mount(…, ".", …): no path is looked up again, and
/// nothing depends on a /proc being mounted.
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
        FsOpKind.Mount => MountOnTarget(step),
        FsOpKind.Symlink => Symlink(step),
        FsOpKind.EnterRoot => Return(step->Context, step->Context->RootFd),
        FsOpKind.RestoreDirectory => Return(step->Context, step->Context->CwdFd),
        FsOpKind.PivotRoot => Libc.pivot_root(".\0"u8.AsPointer(), ".\0"u8.AsPointer()),
        FsOpKind.DetachOldRoot => Libc.umount2(".\0"u8.AsPointer(), Libc.MNT_DETACH),
        FsOpKind.Chroot => Libc.chroot(".\0"u8.AsPointer()),
        FsOpKind.MountProc => Libc.mount(step->Source, step->Path, *step->Types, step->Flags, null),
        FsOpKind.RemountRoot => MakeReadOnly(Libc.AT_FDCWD, "/\0"u8.AsPointer(), 0),
        FsOpKind.ChangeDirectory => Libc.chdir(step->Path),
        _ => -Libc.EINVAL,
    };

    /// <summary>The root, and the cwd: mounting moves the cwd, and without a root switch it must come back.</summary>
    private static int OpenRoot(FsStep* step)
    {
        step->Context->CwdFd = Libc.open(".\0"u8.AsPointer(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (step->Context->CwdFd < 0)
        {
            return step->Context->CwdFd;
        }

        step->Context->RootFd = Libc.open(step->Source, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        return step->Context->RootFd < 0 ? step->Context->RootFd : 0;
    }

    /// <summary>
    /// fchdir to <paramref name="fd"/> (the new root, or the cwd pid1 had), then close both descriptors: once
    /// the cwd is there they are not needed, and closing them keeps them out of the pid namespace's init.
    /// </summary>
    private static int Return(FsContext* context, int fd)
    {
        int result = Libc.fchdir(fd);
        Libc.close(context->RootFd);
        Libc.close(context->CwdFd);
        context->RootFd = -1;
        context->CwdFd = -1;
        return result;
    }

    /// <summary>Resolves the target inside the root (creating what is missing) and mounts onto what it resolved.</summary>
    private static int MountOnTarget(FsStep* step)
    {
        int fd = Resolve(step, step->Depth);
        if (fd < 0)
        {
            return fd;
        }

        int result = (step->Flags & Libc.MS_BIND) != 0 ? Bind(step, fd) : MountHere(step, fd);
        Libc.close(fd);
        return result;
    }

    /// <summary>
    /// A bind as a detached copy of the source tree (open_tree), made read-only before anyone can see it
    /// (mount_setattr only sets MOUNT_ATTR_RDONLY, so the source's nosuid/nodev/noexec stay as they are),
    /// then moved onto the resolved target's descriptor: no path is looked up again, files work as well.
    /// </summary>
    private static int Bind(FsStep* step, int target)
    {
        uint recursive = (step->Flags & Libc.MS_REC) != 0 ? Libc.AT_RECURSIVE : 0;
        int tree = Libc.open_tree(Libc.AT_FDCWD, step->Source, Libc.OPEN_TREE_CLONE | Libc.OPEN_TREE_CLOEXEC | recursive);
        if (tree < 0)
        {
            return tree;
        }

        byte* empty = "\0"u8.AsPointer();
        int result = (step->Flags & Libc.MS_RDONLY) != 0 ? MakeReadOnly(tree, empty, (uint)Libc.AT_EMPTY_PATH | recursive) : 0;
        if (result == 0)
        {
            result = Libc.move_mount(tree, empty, target, empty, Libc.MOVE_MOUNT_F_EMPTY_PATH | Libc.MOVE_MOUNT_T_EMPTY_PATH);
        }

        Libc.close(tree);
        return result;
    }

    /// <summary>Sets read-only and nothing else, so flags the kernel locks (in a user namespace) are kept.</summary>
    private static int MakeReadOnly(int fd, byte* path, uint flags)
    {
        var attributes = new mount_attr { attr_set = Libc.MOUNT_ATTR_RDONLY };
        return Libc.mount_setattr(fd, path, flags, &attributes, (nuint)sizeof(mount_attr));
    }

    /// <summary>
    /// A new filesystem (tmpfs, proc, devpts, an image) on a directory: the target becomes the cwd and the
    /// mount goes on ".", so what was resolved is what gets mounted on.
    /// </summary>
    private static int MountHere(FsStep* step, int target)
    {
        int result = Libc.fchdir(target);
        if (result < 0)
        {
            return result;
        }

        byte* here = ".\0"u8.AsPointer();
        return step->Types == null ? Libc.mount(step->Source, here, null, step->Flags, step->Data) : MountFirstType(step, here);
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
        int parent = Resolve(step, step->Depth - 1);
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
    private static int Resolve(FsStep* step, int depth)
    {
        int root = step->Context->RootFd;
        int current = OpenInRoot(root, ".\0"u8.AsPointer());
        for (int i = 0; i < depth && current >= 0; i++)
        {
            int next = OpenInRoot(root, step->Prefixes[i]);
            if (next == -Libc.ENOENT)
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
}
