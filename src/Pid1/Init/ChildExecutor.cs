using System.Runtime.InteropServices;
using Pid1.Native;
using Pid1.Sandbox;

namespace Pid1.Init;

/// <summary>
/// Runs in the child between clone and execve: walks the frozen plan, allocating nothing and throwing nothing
/// (hazard 5). A failed step writes (step index, errno) to the CLOEXEC error pipe and exits; success is the
/// pipe closing on exec.
/// </summary>
internal static unsafe class ChildExecutor
{
    public struct Report
    {
        public int Step;
        public int Errno;
    }

    public static void Run(ChildStep* steps, int count, int errorFd) => Run(steps, 0, count, errorFd);

    /// <summary>Executes steps <paramref name="first"/> to <paramref name="count"/> − 1; never returns.</summary>
    private static void Run(ChildStep* steps, int first, int count, int errorFd)
    {
        for (int i = first; i < count; i++)
        {
            int result = steps[i].Kind == StepKind.ForkSupervised
                ? ForkSupervised(steps, i, count, errorFd)
                : Execute(ref steps[i], ref errorFd);
            if (result < 0)
            {
                Fail(errorFd, i, -result, steps[i].Kind == StepKind.Exec ? ExitCodes.ForExec(-result) : ExitCodes.SetupFailed);
            }
        }

        Fail(errorFd, count, Libc.EINVAL, ExitCodes.SetupFailed);
    }

    private static int Execute(ref ChildStep step, ref int errorFd) => step.Kind switch
    {
        StepKind.WaitForParent => WaitForParent((int)step.Number),
        StepKind.Filesystem => Sandbox.FilesystemExecutor.Execute((Sandbox.FsStep*)step.Data),
        StepKind.Unshare => Libc.unshare((int)step.Flags),
        StepKind.NewProcessGroup => Libc.setpgid(0, 0),
        StepKind.TakeTerminal => Libc.tcsetpgrp(Libc.STDIN_FILENO, Libc.getpid()),
        StepKind.ParentDeathSignal => Namespaces.SetParentDeathSignal((int)step.Number, (int)step.Flags),
        StepKind.SetHostname => Libc.sethostname(step.Path, (nuint)step.Number),
        StepKind.SetDomainname => Libc.setdomainname(step.Path, (nuint)step.Number),
        StepKind.LoopbackUp => Namespaces.BringUpLoopback(),
        StepKind.Prctl => Libc.prctl((int)step.Number, step.Flags, 0, 0, 0),
        StepKind.SetRlimit => Identity.SetRlimit((int)step.Number, (rlimit*)step.Data),
        StepKind.DropBounding => Capabilities.DropBounding(step.Flags, (int)step.Number),
        StepKind.SetGroups => Identity.SetGroups(step.Number, (uint*)step.Data),
        StepKind.SetGid => Identity.SetGid(step.Number),
        StepKind.SetUid => Identity.SetUid(step.Number),
        StepKind.CheckIds => Identity.CheckDrop(step.Number, step.Flags),
        StepKind.SetCapabilities => Capabilities.SetAll(step.Flags),
        StepKind.RaiseAmbient => Capabilities.RaiseAmbient(step.Flags, (int)step.Number),
        StepKind.PermittedToAmbient => Capabilities.PermittedToAmbient((int)step.Number),
        StepKind.PassListenFds => Listen.PassFds((int*)step.Data, (int)step.Number, step.Text, ref errorFd),
        StepKind.RestoreSignals => RestoreSignals((sigset_t*)step.Data, keepPipeIgnored: step.Number != 0),
        StepKind.Exec => Exec((ExecSpec*)step.Data),
        StepKind.JoinNamespace => Libc.setns((int)step.Number, (int)step.Flags),
        StepKind.JoinRoot => JoinRoot((int)step.Number),
        StepKind.JoinWorkingDirectory => Libc.fchdir((int)step.Number),
        StepKind.CloseHostFds => Libc.close_range(3, uint.MaxValue, Libc.CLOSE_RANGE_CLOEXEC),
        _ => -Libc.EINVAL,
    };

    /// <summary>One byte from the parent means go; EOF means the parent died or gave up.</summary>
    private static int WaitForParent(int fd)
    {
        byte go;
        nint n;
        while ((n = Libc.read(fd, &go, 1)) == -Libc.EINTR)
        {
        }

        Libc.close(fd);
        return n == 1 ? 0 : -Libc.ECHILD;
    }

    /// <summary>
    /// Splits into the namespace's init and the program, posix_spawn style: CLONE_VM|CLONE_VFORK, so the
    /// program's process shares this one's memory until its exec instead of copying it (this process is already
    /// a copy of pid1: a second copy of the runtime's address space was the largest cost of -p after the
    /// runtime's own start). The program runs the rest of the plan on its own stack (the step's Other,
    /// allocated before clone) while this process, its only thread, sleeps in clone until the program exec'd
    /// or failed: nothing else can run managed code or touch the memory they share, and the rest of the plan
    /// allocates nothing (hazard 5). Then the init closes its copy of the error pipe (the program's exec must
    /// close the last one) and supervises; it never returns.
    /// </summary>
    private static int ForkSupervised(ChildStep* steps, int index, int count, int errorFd)
    {
        var rest = new Continuation { Steps = steps, First = index + 1, Count = count, ErrorFd = errorFd };
        byte* stackTop = steps[index].Other + steps[index].Number;
        int pid = Libc.clone((delegate* unmanaged<void*, int>)&RunProgram, stackTop, (int)(Libc.CLONE_VM | Libc.CLONE_VFORK) | Libc.SIGCHLD, &rest);
        if (pid < 0)
        {
            return pid;
        }

        Libc.close(errorFd);
        var config = (SupervisorConfig*)steps[index].Data;
        config->MainPid = pid;
        Libc._exit(Supervisor.Run(*config));
        return 0;
    }

    /// <summary>The program's side of <see cref="ForkSupervised"/>: the steps after it, ending in exec; never returns.</summary>
    [UnmanagedCallersOnly]
    private static int RunProgram(void* continuation)
    {
        var rest = (Continuation*)continuation;
        Run(rest->Steps, rest->First, rest->Count, rest->ErrorFd);
        return 0;
    }

    /// <summary>Where the program's process picks up the plan; it lives on the init's stack, which waits in clone.</summary>
    private struct Continuation
    {
        public ChildStep* Steps;
        public int First;
        public int Count;
        public int ErrorFd;
    }

    /// <summary>
    /// The .NET runtime set SIGPIPE to ignored before Main, and ignored signals survive exec: put it back to
    /// the default unless pid1's caller had it ignored too, then restore the mask pid1 was started with.
    /// </summary>
    private static int RestoreSignals(sigset_t* original, bool keepPipeIgnored)
    {
        sigaction defaults = default;
        int result = keepPipeIgnored ? 0 : Libc.sigaction(Libc.SIGPIPE, &defaults, null);
        return result < 0 ? result : Libc.pthread_sigmask(Libc.SIG_SETMASK, original, null);
    }

    /// <summary>execve each candidate in turn, by <see cref="ProgramSearch"/>'s rule; returns −errno when none ran.</summary>
    private static int Exec(ExecSpec* spec)
    {
        int reported = Libc.ENOENT;
        for (byte** candidate = spec->Candidates; *candidate != null; candidate++)
        {
            if (!ProgramSearch.TryNext(-Libc.execve(*candidate, spec->Argv, spec->Envp), ref reported))
            {
                break;
            }
        }

        return -reported;
    }

    /// <summary>The sandbox's root through an fd opened on /proc/PID/root: valid even when it pivoted.</summary>
    private static int JoinRoot(int rootFd)
    {
        int result = Libc.fchdir(rootFd);
        return result < 0 ? result : Libc.chroot(".\0"u8.AsPointer());
    }

    private static void Fail(int errorFd, int step, int errno, int exitCode)
    {
        var report = new Report { Step = step, Errno = errno };
        Libc.write(errorFd, &report, (nuint)sizeof(Report));
        Libc._exit(exitCode);
    }
}
