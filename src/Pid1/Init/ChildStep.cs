using Pid1.Native;

namespace Pid1.Init;

/// <summary>What a step of the child's setup does. The executor is one switch over these.</summary>
internal enum StepKind
{
    /// <summary>Block until the parent has written the uid/gid maps and joined the cgroup.</summary>
    WaitForParent,

    /// <summary>A filesystem operation of the sandbox (Sandbox/FilesystemExecutor): Data is its FsStep.</summary>
    Filesystem,

    /// <summary>unshare(Flags) in the child: a namespace that must be made after a parent step (cgroup join).</summary>
    Unshare,

    /// <summary>
    /// Becomes the init of the new pid namespace: spawns the program (a CLONE_VM|CLONE_VFORK child that goes
    /// on with the next steps on the stack at Other, Number bytes), then supervises it with the
    /// SupervisorConfig at Data and exits with its code. Made by <see cref="ChildStep.ForkSupervised"/>.
    /// </summary>
    ForkSupervised,

    /// <summary>setpgid(0, 0): the child leads its own process group.</summary>
    NewProcessGroup,

    /// <summary>tcsetpgrp on stdin: the child's group takes the terminal's foreground.</summary>
    TakeTerminal,

    /// <summary>
    /// prctl(PR_SET_PDEATHSIG, Number): the child gets a signal when its parent dies; if the parent is no
    /// longer the pid in Flags (0: no check), it already died and the signal is raised at once.
    /// </summary>
    ParentDeathSignal,

    /// <summary>Restores the signal mask pid1 inherited (hazard 9) and SIGPIPE's disposition (Number 1: keep it ignored).</summary>
    RestoreSignals,

    /// <summary>sethostname(Path, Number bytes) in the new UTS namespace.</summary>
    SetHostname,

    /// <summary>setdomainname(Path, Number bytes) in the new UTS namespace.</summary>
    SetDomainname,

    /// <summary>`lo` up in the new network namespace (SIOCSIFFLAGS).</summary>
    LoopbackUp,

    /// <summary>prctl(Number, Flags, 0, 0, 0).</summary>
    Prctl,

    /// <summary>setrlimit(Number, (rlimit*)Data).</summary>
    SetRlimit,

    /// <summary>PR_CAPBSET_DROP each capability 0..Number not in the mask Flags.</summary>
    DropBounding,

    /// <summary>setgroups(Number, (gid_t*)Data).</summary>
    SetGroups,

    /// <summary>setresgid(Number, Number, Number).</summary>
    SetGid,

    /// <summary>setresuid(Number, Number, Number).</summary>
    SetUid,

    /// <summary>Fails unless every uid is Number (−1: any) and every gid is Flags (all ones: any).</summary>
    CheckIds,

    /// <summary>capset: effective = permitted = inheritable = the mask Flags.</summary>
    SetCapabilities,

    /// <summary>PR_CAP_AMBIENT_RAISE each capability 0..Number in the mask Flags.</summary>
    RaiseAmbient,

    /// <summary>--keep-caps: the permitted set becomes inheritable and ambient (capabilities 0..Number).</summary>
    PermittedToAmbient,

    /// <summary>The --listen sockets (int* Data, Number of them) become fds 3…; LISTEN_PID's digits go to Text.</summary>
    PassListenFds,

    /// <summary>execve each candidate path in turn (a PATH search made before fork); the last step.</summary>
    Exec,

    /// <summary>setns(Number = namespace fd, Flags = CLONE_NEW* type): `pid1 exec` joins a sandbox.</summary>
    JoinNamespace,

    /// <summary>fchdir(Number = fd of the sandbox's root) then chroot("."): its root, even after pivot_root.</summary>
    JoinRoot,

    /// <summary>fchdir(Number = fd of the sandbox program's working directory).</summary>
    JoinWorkingDirectory,

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

    /// <summary>Room for the program's stack while it shares the init's memory (frames are small; pages are touched lazily).</summary>
    private const int ProgramStackBytes = 256 * 1024;

    /// <summary>The <see cref="StepKind.ForkSupervised"/> step, with the program's stack allocated now, before clone.</summary>
    public static ChildStep ForkSupervised(SupervisorConfig* init) => new()
    {
        Kind = StepKind.ForkSupervised,
        Data = init,
        Other = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(ProgramStackBytes, 64),
        Number = ProgramStackBytes,
    };

    /// <summary>The <see cref="StepKind.RestoreSignals"/> step: <paramref name="mask"/>, and SIGPIPE as pid1's caller had it.</summary>
    public static ChildStep RestoreSignals(sigset_t* mask) => new()
    {
        Kind = StepKind.RestoreSignals,
        Data = mask,
        Number = Signals.PipeIgnoredByCaller() ? 1 : 0,
    };
}
