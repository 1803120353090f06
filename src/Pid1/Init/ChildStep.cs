namespace Pid1.Init;

/// <summary>What a step of the child's setup does. The executor is one switch over these.</summary>
internal enum StepKind
{
    /// <summary>Block until the parent has written the uid/gid maps and joined the cgroup.</summary>
    WaitForParent,

    /// <summary>mount(2) with Other as source, Path as target, Text as type, Data as options, Flags.</summary>
    Mount,

    /// <summary>
    /// Becomes the init of the new pid namespace: fork; the parent supervises the forked program with the
    /// SupervisorConfig at Data and exits with its code; the forked child goes on with the next steps.
    /// </summary>
    ForkSupervised,

    /// <summary>setpgid(0, 0): the child leads its own process group.</summary>
    NewProcessGroup,

    /// <summary>tcsetpgrp on stdin: the child's group takes the terminal's foreground.</summary>
    TakeTerminal,

    /// <summary>prctl(PR_SET_PDEATHSIG, Number): the child gets a signal when its parent dies.</summary>
    ParentDeathSignal,

    /// <summary>Restores the signal mask pid1 inherited (hazard 9) and SIGPIPE's default disposition.</summary>
    RestoreSignals,

    /// <summary>execve each candidate path in turn (a PATH search made before fork); the last step.</summary>
    Exec,

    /// <summary>setns(Number = namespace fd, Flags = CLONE_NEW* type): `pid1 exec` joins a sandbox.</summary>
    JoinNamespace,

    /// <summary>fchdir(Number = fd of the sandbox's root) then chroot("."): its root, even after pivot_root.</summary>
    JoinRoot,

    /// <summary>fchdir(Number = fd of the sandbox program's working directory).</summary>
    JoinWorkingDirectory,

    /// <summary>setgroups, setresgid, setresuid from the <see cref="Lifecycle.ExecCredentials"/> at Data.</summary>
    JoinCredentials,

    /// <summary>Marks every fd from 3 up close-on-exec, so no host fd reaches the sandbox (the error pipe still works).</summary>
    CloseHostFds,
}

/// <summary>
/// One operation of the child's setup, made of pointers to memory prepared before fork, so executing it
/// allocates nothing. What each field means depends on <see cref="Kind"/>.
/// </summary>
internal unsafe struct ChildStep
{
    public StepKind Kind;
    public long Number;
    public ulong Flags;
    public byte* Path;
    public byte* Other;
    public byte* Text;
    public void* Data;
}
