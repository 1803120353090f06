using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>What one filesystem operation of the child's setup does; the executor is one switch over these.</summary>
internal enum FsOpKind
{
    /// <summary>mount(none, "/", MS_REC | propagation): the sandbox's mounts stay out of the caller's namespace.</summary>
    Propagation,

    /// <summary>Bind the new root onto itself (MS_BIND|MS_REC), so it is a mount point pivot_root and remount accept.</summary>
    BindRootOntoItself,

    /// <summary>Open the new root (O_PATH): every later target is resolved beneath this descriptor.</summary>
    OpenRoot,

    /// <summary>
    /// Mount Source on Target inside the root (created when missing), trying each of Types in turn; with
    /// MS_BIND in Flags a bind of the host path Source (MS_REC: with its submounts, MS_RDONLY: read-only).
    /// </summary>
    Mount,

    /// <summary>Create the symlink Target (inside the root) pointing to Source.</summary>
    Symlink,

    /// <summary>fchdir to the new root and close its descriptor: the switch works on ".".</summary>
    EnterRoot,

    /// <summary>No root switch: fchdir back to the directory pid1 was started in (mounting moved the cwd).</summary>
    RestoreDirectory,

    /// <summary>pivot_root(".", "."): the old root ends up stacked on top of the new one.</summary>
    PivotRoot,

    /// <summary>umount2(".", MNT_DETACH): the stacked old root goes away, unreachable from inside.</summary>
    DetachOldRoot,

    /// <summary>chroot(".") for -R; the cwd is already inside, so ".." cannot lead out.</summary>
    Chroot,

    /// <summary>mount proc on the absolute Target, after the root switch (--mount-proc).</summary>
    MountProc,

    /// <summary>--read-only, after the switch: "/" alone becomes read-only; mounts under it and other flags stay.</summary>
    RemountRoot,

    /// <summary>chdir(Target): "/" after a root switch, then -w.</summary>
    ChangeDirectory,
}

/// <summary>
/// One step of the filesystem plan, as data. Targets of in-root operations are normalized absolute paths
/// inside the new root ("/dev/null"); the executor resolves them under the root's descriptor.
/// </summary>
/// <remarks>A class, not a record: nothing compares operations, and a record's Equals and GetHashCode stay in
/// the binary (object's are virtual) with an enum comparer for <see cref="FsOpKind"/>.</remarks>
internal sealed class FsOperation(FsOpKind kind, string target, string description)
{
    public FsOpKind Kind { get; } = kind;

    public string Target { get; } = target;

    public string Description { get; } = description;

    public string Source { get; init; } = string.Empty;

    /// <summary>Filesystem types to try, in order; empty for binds and remounts.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>Mount options as mount(2) takes them ("size=1m,mode=1777").</summary>
    public string Data { get; init; } = string.Empty;

    public ulong Flags { get; init; }

    /// <summary>A missing target is created as an empty file (to bind a file on) instead of a directory.</summary>
    public bool CreateFile { get; init; }

    public override string ToString() => Description;
}

/// <summary>What the plan needs to know about the host, so that building it is testable without root.</summary>
internal record HostFacts(IReadOnlyList<AttachedImage> Images)
{
    /// <summary>The real host: stat, and the images attached before clone.</summary>
    public static HostFacts Real(IReadOnlyList<AttachedImage> images) => new(images);

    /// <summary>What a host path is (stat(2)); tests override it.</summary>
    /// <remarks>
    /// A virtual method, not a <c>Func&lt;string, PathKind&gt;</c>: a delegate's Invoke is always reflectable in Native
    /// AOT, so a delegate returning an enum boxes it, and a boxed enum keeps Enum's name formatting and the
    /// reflection it reads names with in the binary (70 KB).
    /// </remarks>
    public virtual PathKind Kind(string path) => HostPaths.Kind(path);

    /// <summary>The name only: the generated ToString, kept in the binary because object.ToString is virtual, formats every member.</summary>
    public override string ToString() => nameof(HostFacts);

    /// <summary>Identity: host facts are copied with <c>with</c> (tests) but never compared; see <see cref="Options.Equals(Options?)"/>.</summary>
    public virtual bool Equals(HostFacts? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => RuntimeHelpers.GetHashCode(this);
}

internal enum PathKind
{
    Missing,
    File,
    Directory,
}

/// <summary>A --mount-image whose loop device is attached: the device to mount and the types to try.</summary>
/// <remarks>A class, not a record: nothing compares it by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class AttachedImage(MountRequest Request, string Device, IReadOnlyList<string> Types, bool Detected)
{
    public MountRequest Request { get; } = Request;

    public string Device { get; } = Device;

    public IReadOnlyList<string> Types { get; } = Types;

    public bool Detected { get; } = Detected;
}

/// <summary>
/// The filesystem part of the child's setup, built from the options in DESIGN's order: propagation → the new
/// root as a mount point → mounts under it (command-line order) → pivot_root or chroot → proc → read-only →
/// working directory.
/// </summary>
internal static class MountPlan
{
    /// <summary>Mount flags every sandbox mount gets: no setuid programs or device nodes smuggled in.</summary>
    private const ulong SafeFlags = Libc.MS_NOSUID | Libc.MS_NODEV;

    public static IReadOnlyList<FsOperation> Build(Options options, HostFacts host)
    {
        var ops = new List<FsOperation>();
        string? root = options.RootfsDir ?? options.ChrootDir;
        AddPropagation(ops, options);
        if (root is not null)
        {
            AddRoot(ops, options, root, host);
        }
        else if (options.Mounts.Count > 0)
        {
            ops.Add(new FsOperation(FsOpKind.OpenRoot, "/", "open / to mount under") { Source = "/" });
        }

        foreach (MountRequest mount in options.Mounts)
        {
            AddMount(ops, mount, host);
        }

        if (root is not null)
        {
            AddSwitch(ops, options, root);
        }
        else if (options.Mounts.Count > 0)
        {
            ops.Add(new FsOperation(FsOpKind.RestoreDirectory, ".", "return to the working directory"));
        }

        AddAfterSwitch(ops, options, root);
        return ops;
    }

    private static void AddPropagation(List<FsOperation> ops, Options options)
    {
        if ((options.Namespaces & Libc.CLONE_NEWNS) == 0 || options.Propagation == "unchanged")
        {
            return;
        }

        // A new mount namespace starts as a copy with the host's propagation: without this, mounts made for
        // the sandbox would propagate back to the host's shared mounts (and pivot_root refuses a shared root).
        ulong propagation = options.Propagation switch
        {
            "shared" => Libc.MS_SHARED,
            "slave" => Libc.MS_SLAVE,
            _ => Libc.MS_PRIVATE,
        };
        ops.Add(new FsOperation(FsOpKind.Propagation, "/", $"make / {options.Propagation} (mount propagation)") { Flags = Libc.MS_REC | propagation });
    }

    /// <summary>The new root must exist; --rootfs (and -R with --read-only) binds it onto itself first.</summary>
    private static void AddRoot(List<FsOperation> ops, Options options, string root, HostFacts host)
    {
        PathKind kind = host.Kind(root);
        if (kind != PathKind.Directory)
        {
            string option = options.RootfsDir is not null ? "--rootfs" : "--root";
            throw new SetupException($"new root {root} ({option})", kind == PathKind.Missing ? Libc.ENOENT : Libc.ENOTDIR);
        }

        if (options.RootfsDir is not null || options.ReadOnlyRoot)
        {
            ops.Add(new FsOperation(FsOpKind.BindRootOntoItself, root, $"bind the new root {root} onto itself") { Source = root });
        }

        ops.Add(new FsOperation(FsOpKind.OpenRoot, root, $"open the new root {root}") { Source = root });
    }

    private static void AddMount(List<FsOperation> ops, MountRequest mount, HostFacts host)
    {
        string target = Files.Normalize(mount.Destination);
        switch (mount.Kind)
        {
            case MountKind.Bind:
            case MountKind.ReadOnlyBind:
                AddBind(ops, mount, target, host);
                break;
            case MountKind.Tmpfs:
                ops.Add(Tmpfs(target, mount.Options));
                break;
            case MountKind.Proc:
                ops.Add(new FsOperation(FsOpKind.Mount, target, $"mount proc on {target}")
                {
                    Source = "proc",
                    Types = ["proc"],
                    Flags = SafeFlags | Libc.MS_NOEXEC,
                });
                break;
            case MountKind.Dev:
                ops.AddRange(DevTree.Operations(target));
                break;
            case MountKind.Image:
                ops.Add(Image(mount, target, host));
                break;
        }
    }

    public static FsOperation Tmpfs(string target, string options) =>
        new(FsOpKind.Mount, target, $"mount tmpfs on {target}{(options.Length > 0 ? " (" + options + ")" : string.Empty)}")
        {
            Source = "tmpfs",
            Types = ["tmpfs"],
            Data = options,
            Flags = SafeFlags,
        };

    /// <summary>A bind with its submounts; --ro-bind makes the copy read-only (recursively) before it is attached.</summary>
    private static void AddBind(List<FsOperation> ops, MountRequest mount, string target, HostFacts host)
    {
        PathKind kind = host.Kind(mount.Source);
        if (kind == PathKind.Missing)
        {
            throw new SetupException($"bind source {mount.Source}", Libc.ENOENT);
        }

        bool readOnly = mount.Kind == MountKind.ReadOnlyBind;
        ops.Add(new FsOperation(FsOpKind.Mount, target, $"bind {mount.Source} on {target}{(readOnly ? " read-only" : string.Empty)}")
        {
            // Absolute: the child resolves it after moving its cwd around.
            Source = Files.FullPath(mount.Source),
            Flags = Libc.MS_BIND | Libc.MS_REC | (readOnly ? Libc.MS_RDONLY : 0),
            CreateFile = kind == PathKind.File,
        });
    }

    private static FsOperation Image(MountRequest mount, string target, HostFacts host)
    {
        AttachedImage image = FindImage(host.Images, mount);
        bool readOnly = mount.Options == "ro";
        string types = image.Detected ? "as " + image.Types[0] : "no known superblock, tried " + string.Join(", ", image.Types);
        return new FsOperation(FsOpKind.Mount, target, $"mount image {mount.Source} ({image.Device}, {types}) on {target}")
        {
            Source = image.Device,
            Types = image.Types,
            Flags = SafeFlags | (readOnly ? Libc.MS_RDONLY : 0),
        };
    }

    private static AttachedImage FindImage(IReadOnlyList<AttachedImage> images, MountRequest mount)
    {
        foreach (AttachedImage image in images)
        {
            if (ReferenceEquals(image.Request, mount))
            {
                return image;
            }
        }

        throw new InvalidOperationException($"image {mount.Source} was not attached");
    }

    /// <summary>pivot_root for --rootfs (the old root detached), chroot for -R; both end in "/" of the new root.</summary>
    private static void AddSwitch(List<FsOperation> ops, Options options, string root)
    {
        ops.Add(new FsOperation(FsOpKind.EnterRoot, root, $"chdir into the new root {root}"));
        if (options.RootfsDir is not null)
        {
            ops.Add(new FsOperation(FsOpKind.PivotRoot, root, $"pivot_root into {root}"));
            ops.Add(new FsOperation(FsOpKind.DetachOldRoot, "/", "detach the old root (umount2 MNT_DETACH)"));
        }
        else
        {
            ops.Add(new FsOperation(FsOpKind.Chroot, root, $"chroot into {root}"));
        }

        ops.Add(new FsOperation(FsOpKind.ChangeDirectory, "/", "chdir to / of the new root"));
    }

    private static void AddAfterSwitch(List<FsOperation> ops, Options options, string? root)
    {
        if (options.MountProc is string procDir)
        {
            // After the switch, so it lands in the new root; by the pid namespace's init (before it forks).
            ops.Add(new FsOperation(FsOpKind.MountProc, procDir, $"mount proc on {procDir}")
            {
                Source = "proc",
                Types = ["proc"],
                Flags = SafeFlags | Libc.MS_NOEXEC,
            });
        }

        if (options.ReadOnlyRoot)
        {
            ops.Add(new FsOperation(FsOpKind.RemountRoot, "/", $"make the root {root ?? "/"} read-only"));
        }

        if (options.WorkingDirectory is string wd)
        {
            ops.Add(new FsOperation(FsOpKind.ChangeDirectory, wd, $"chdir to {wd} (--wd)"));
        }
    }
}
