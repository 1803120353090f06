namespace Pid1.Sandbox;

/// <summary>State the filesystem steps share in the child: descriptors opened by OpenRoot.</summary>
internal struct FsContext
{
    /// <summary>The new root (or "/"): every in-root target is resolved beneath it.</summary>
    public int RootFd;

    /// <summary>The working directory pid1 was started in, to return to when the root stays.</summary>
    public int CwdFd;
}

/// <summary>
/// One <see cref="FsOperation"/> marshalled to unmanaged memory before clone, so the child executes it without
/// allocating. A target inside the root is given as its path prefixes ("dev", "dev/null") and component names
/// ("dev", "null"), so the child can create missing mount points one component at a time.
/// </summary>
internal unsafe struct FsStep
{
    public FsOpKind Kind;
    public FsContext* Context;

    /// <summary>Number of components of the in-root target (0: the root itself).</summary>
    public int Depth;
    public byte** Prefixes;
    public byte** Names;

    /// <summary>The absolute target, for steps that do not resolve inside the root.</summary>
    public byte* Path;
    public byte* Source;

    /// <summary>NULL-terminated types to try; NULL for binds and remounts.</summary>
    public byte** Types;
    public byte* Data;
    public ulong Flags;
    public bool CreateFile;
}
