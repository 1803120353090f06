using System;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Starts the program. With nothing to set up in the child, posix_spawn (a CLONE_VM|CLONE_VFORK clone inside
/// glibc: no copy of the runtime's address space). Otherwise clone3 with the namespaces asked for, and the
/// child walks the frozen <see cref="ChildPlan"/>. Signals stay blocked throughout, so none is lost.
/// </summary>
internal static unsafe class Spawner
{
    /// <summary>
    /// posix_spawnp (posix_spawn of each candidate when the libc would search elsewhere): own process group,
    /// the inherited mask, SIGPIPE as the caller had it (the runtime ignored it).
    /// glibc's spawn sets its two internal signals (32, 33) to SIG_IGN in the child, and ignored survives
    /// exec: listing them as defaults keeps the program's SigIgn exactly what pid1 inherited (musl's leaves them be).
    /// </summary>
    public static int SpawnPlain(string program, ExecSpec* exec, sigset_t* originalMask)
    {
        posix_spawnattr_t attributes;
        Check.Ok(Libc.posix_spawnattr_init(&attributes), "posix_spawnattr_init");
        sigset_t defaults = Signals.SpawnDefaults();
        Signals.Add(ref defaults, Signals.FirstLibcInternal);
        Signals.Add(ref defaults, Signals.FirstLibcInternal + 1);
        Libc.posix_spawnattr_setflags(&attributes, Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETPGROUP);
        Libc.posix_spawnattr_setsigmask(&attributes, originalMask);
        Libc.posix_spawnattr_setsigdefault(&attributes, &defaults);
        Libc.posix_spawnattr_setpgroup(&attributes, 0);
        int pid;

        // No candidates: the libc searches the same places (see Launcher.MarshalExec), in the spawned child.
        int error = exec->Candidates == null
            ? -Libc.posix_spawnp(&pid, exec->Argv[0], null, &attributes, exec->Argv, exec->Envp)
            : SpawnFirstFound(&pid, exec, &attributes);
        Libc.posix_spawnattr_destroy(&attributes);
        return error == 0 ? pid : throw new SetupException($"exec {program}", error, ExitCodes.ForExec(error));
    }

    /// <summary>
    /// PATH unset or empty: posix_spawn each candidate by <see cref="ProgramSearch"/>'s rule, as the clone path's
    /// exec step does (posix_spawnp would search the libc's default instead). Returns 0 or the errno to report.
    /// </summary>
    private static int SpawnFirstFound(int* pid, ExecSpec* exec, posix_spawnattr_t* attributes)
    {
        int reported = Libc.ENOENT;
        for (byte** candidate = exec->Candidates; *candidate != null; candidate++)
        {
            int error = Lookup(*candidate);
            if (error == 0)
            {
                error = -Libc.posix_spawn(pid, *candidate, null, attributes, exec->Argv, exec->Envp);
                if (error == 0)
                {
                    return 0;
                }
            }

            if (!ProgramSearch.TryNext(error, ref reported))
            {
                break;
            }
        }

        return reported;
    }

    /// <summary>
    /// ENOENT or ENOTDIR when nothing is at the path, else 0: execve would fail its lookup with the same errno,
    /// so a miss costs one statx instead of a spawn (about 24 syscalls) that fails in exec.
    /// </summary>
    private static int Lookup(byte* path)
    {
        statx info;
        int error = -Libc.statx(Libc.AT_FDCWD, path, 0, 0, &info);
        return error is Libc.ENOENT or Libc.ENOTDIR ? error : 0;
    }

    /// <summary>
    /// clone3 into <paramref name="namespaces"/>; <paramref name="release"/> runs in the parent while the child
    /// waits on <paramref name="sync"/> (uid/gid maps, cgroup join), then the child runs the plan; without a
    /// sync pipe the child does not wait, and release must have nothing to do for it. Returns once the program
    /// was exec'd.
    /// </summary>
    public static int SpawnCloned(ChildPlan plan, ulong namespaces, Pipe errors, Pipe? sync, Action<int> release)
    {
        ChildStep* steps = plan.Freeze();
        var args = new clone_args { flags = namespaces, exit_signal = (ulong)Libc.SIGCHLD };

        // No CLONE_VM: the child gets a copy of this process with one thread; it only walks the frozen plan.
        long pid = Libc.clone3(&args, (nuint)sizeof(clone_args));
        if (pid == 0)
        {
            Libc.close(errors.Read);
            if (sync is Pipe s)
            {
                Libc.close(s.Write);
            }

            try
            {
                ChildExecutor.Run(steps, plan.Count, errors.Write);
            }
            finally
            {
                // Run ends in exec or _exit; should a bug throw instead, this copy must never unwind into its
                // callers' catch and finally blocks, which are the parent's cleanup (loop devices, the cgroup).
                Libc._exit(ExitCodes.SetupFailed);
            }
        }

        Libc.close(errors.Write);
        if (sync is Pipe syncPipe)
        {
            Libc.close(syncPipe.Read);
        }

        if (pid < 0)
        {
            // Formatted only now: the first formatted string sets up the runtime's array pool (a random seed
            // read from /dev/urandom among it), and on success that ran while the child waited for release.
            throw new SetupException($"clone3 into namespaces 0x{namespaces:x}", (int)-pid);
        }

        try
        {
            release((int)pid);
        }
        catch (Exception e)
        {
            Libc.kill((int)pid, Libc.SIGKILL);
            Libc.waitpid((int)pid, null, 0);

            // The child runs its first steps while the parent works (see Launcher): one that already failed
            // can make the parent's step fail too (no such process), and its own report names the cause.
            if (e is SetupException && ReadReport(errors.Read, out ChildExecutor.Report report))
            {
                throw Failure(plan, report);
            }

            throw;
        }
        finally
        {
            if (sync is Pipe toRelease)
            {
                byte go = 1;
                Libc.write(toRelease.Write, &go, 1);
                Libc.close(toRelease.Write);
            }
        }

        return AwaitExec(plan, (int)pid, errors.Read);
    }

    /// <summary>EOF on the error pipe means exec succeeded; a report names the step that failed.</summary>
    private static int AwaitExec(ChildPlan plan, int pid, int errorFd)
    {
        bool failed = ReadReport(errorFd, out ChildExecutor.Report report);
        Libc.close(errorFd);
        if (!failed)
        {
            return pid;
        }

        Libc.waitpid(pid, null, 0);
        throw Failure(plan, report);
    }

    /// <summary>Blocks until the child's report or EOF (the pipe's last write end closed: exec or death).</summary>
    private static bool ReadReport(int errorFd, out ChildExecutor.Report report)
    {
        nint n;
        fixed (ChildExecutor.Report* r = &report)
        {
            while ((n = Libc.read(errorFd, r, (nuint)sizeof(ChildExecutor.Report))) == -Libc.EINTR)
            {
            }
        }

        return n == sizeof(ChildExecutor.Report);
    }

    private static SetupException Failure(ChildPlan plan, ChildExecutor.Report report)
    {
        bool isExec = report.Step < plan.Count && plan.Steps[report.Step].Kind == StepKind.Exec;
        return new SetupException(plan.Describe(report.Step), report.Errno, isExec ? ExitCodes.ForExec(report.Errno) : ExitCodes.SetupFailed);
    }
}
