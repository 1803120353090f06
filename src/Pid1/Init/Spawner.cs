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
    /// posix_spawnp: own process group, the inherited mask, SIGPIPE back to its default (the runtime ignored it).
    /// glibc's spawn sets its two internal signals (32, 33) to SIG_IGN in the child, and ignored survives
    /// exec: listing them as defaults keeps the program's SigIgn exactly what pid1 inherited.
    /// </summary>
    public static int SpawnPlain(string program, ExecSpec* exec, sigset_t* originalMask)
    {
        posix_spawnattr_t attributes;
        Check.Ok(Libc.posix_spawnattr_init(&attributes), "posix_spawnattr_init");
        sigset_t defaults = ChildDefaults();
        Libc.posix_spawnattr_setflags(&attributes, Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETPGROUP);
        Libc.posix_spawnattr_setsigmask(&attributes, originalMask);
        Libc.posix_spawnattr_setsigdefault(&attributes, &defaults);
        Libc.posix_spawnattr_setpgroup(&attributes, 0);
        int pid;
        int result = Libc.posix_spawnp(&pid, exec->Argv[0], null, &attributes, exec->Argv, exec->Envp);
        Libc.posix_spawnattr_destroy(&attributes);
        return result == 0 ? pid : throw new SetupException($"exec {program}", -result, ExitCodes.ForExec(-result));
    }

    /// <summary>
    /// The signals the child resets to SIG_DFL. glibc's child (its parent waits meanwhile) reads the disposition
    /// of every signal not listed, then sets it to SIG_DFL unless it was ignored: two system calls a signal
    /// (126 rt_sigaction for pid1 /bin/true, 2% of its run on the benchmark machine), one for a listed signal. So every signal pid1 did
    /// not inherit as ignored is listed: pid1's own SigIgn (one read of /proc/self/status) leaves out exactly
    /// the ignored ones, which glibc then keeps ignored. Without /proc: SIGPIPE and glibc's two only, and
    /// glibc finds the rest itself. The child gets the same dispositions either way.
    /// </summary>
    private static sigset_t ChildDefaults()
    {
        sigset_t defaults = default;
        if (IgnoredSignals() is ulong ignored)
        {
            for (int signal = 1; signal <= Signals.Max; signal++)
            {
                bool inheritedIgnored = (ignored & (1UL << (signal - 1))) != 0 && signal != Libc.SIGPIPE;
                if (signal is not Libc.SIGKILL and not Libc.SIGSTOP && !inheritedIgnored)
                {
                    Signals.Add(ref defaults, signal);
                }
            }

            return defaults;
        }

        Signals.Add(ref defaults, Libc.SIGPIPE);
        Signals.Add(ref defaults, Signals.FirstGlibcInternal);
        Signals.Add(ref defaults, Signals.FirstGlibcInternal + 1);
        return defaults;
    }

    /// <summary>The SigIgn line of /proc/self/status (signal N is bit N-1); null when it cannot be read.</summary>
    private static ulong? IgnoredSignals()
    {
        int fd = Libc.open("/proc/self/status\0"u8.AsPointer(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return null;
        }

        const int Size = 4096;
        byte* buffer = stackalloc byte[Size];
        nint n = Libc.read(fd, buffer, Size);
        Libc.close(fd);
        var status = new ReadOnlySpan<byte>(buffer, (int)Math.Max(n, 0));
        int line = status.IndexOf("\nSigIgn:\t"u8);
        if (line < 0 || line + 9 + 16 > status.Length)
        {
            return null;
        }

        ulong ignored = 0;
        foreach (byte digit in status.Slice(line + 9, 16))
        {
            int value = HexValue(digit);
            if (value < 0)
            {
                return null;
            }

            ignored = (ignored << 4) | (uint)value;
        }

        return ignored;
    }

    private static int HexValue(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        _ => -1,
    };

    /// <summary>
    /// clone3 into <paramref name="namespaces"/>; <paramref name="release"/> runs in the parent while the child
    /// waits (uid/gid maps, cgroup join), then the child runs the plan. Returns once the program was exec'd.
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

            ChildExecutor.Run(steps, plan.Count, errors.Write);
        }

        Libc.close(errors.Write);
        if (sync is Pipe syncPipe)
        {
            Libc.close(syncPipe.Read);
        }

        Check.Ok(pid, $"clone3 into namespaces 0x{namespaces:x}");
        try
        {
            release((int)pid);
        }
        catch
        {
            Libc.kill((int)pid, Libc.SIGKILL);
            Libc.waitpid((int)pid, null, 0);
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
        ChildExecutor.Report report;
        nint n;
        while ((n = Libc.read(errorFd, &report, (nuint)sizeof(ChildExecutor.Report))) == -Libc.EINTR)
        {
        }

        Libc.close(errorFd);
        if (n < sizeof(ChildExecutor.Report))
        {
            return pid;
        }

        Libc.waitpid(pid, null, 0);
        bool isExec = report.Step < plan.Count && plan.Steps[report.Step].Kind == StepKind.Exec;
        throw new SetupException(plan.Describe(report.Step), report.Errno, isExec ? ExitCodes.ForExec(report.Errno) : ExitCodes.SetupFailed);
    }
}
