using System;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// The init loop: wait for a signal, reap every child that exited, forward the rest to the main child, and
/// once the main child is gone TERM what is left of the tree, KILL it after the grace period, and return the
/// exit code. It allocates nothing and never throws, so it can run as PID 1 of a cloned pid namespace.
/// </summary>
internal static unsafe class Supervisor
{
    /// <summary>After SIGKILL, how often the tree is swept again for processes forked during the sweep.</summary>
    private const int KillSweepMilliseconds = 100;

    private struct State
    {
        public int MainStatus;
        public bool MainExited;
        public bool StopRequested;
        public bool ShuttingDown;

        /// <summary>The main child exited during this reap: shut down once the reap shows who is left.</summary>
        public bool ShutdownDue;
        public long KillDeadline;
    }

    /// <summary>
    /// Supervises until the tree is gone and returns the exit code. The one entry for every supervisor (the host
    /// pid1, the init of a new pid namespace, pid1 exec): a bug that throws in the loop still ends the tree
    /// cleanly, with 125, instead of leaving it unsupervised (or, in a pid namespace, killed without a grace period).
    /// </summary>
    public static int Run(in SupervisorConfig config)
    {
        try
        {
            return Supervise(config);
        }
        catch (Exception e)
        {
            LogFailure(e);
            return Abort(config);
        }
    }

    /// <summary>Formatted on the stack, not concatenated: in a pid namespace's init (a cloned copy of pid1) an allocation may hang (hazard 13).</summary>
    private static void LogFailure(Exception e)
    {
        var line = new Native.Log.Line(stackalloc byte[512]);
        line.Append("supervisor failed, stopping the program: "u8);
        line.Append(e.Message);
        line.WriteToStderr();
    }

    private static int Supervise(in SupervisorConfig config)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var state = default(State);
        int code = Loop(config, ref state);
        return Exit(config, code, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
    }

    /// <summary>
    /// pid1 itself failed while supervising (a bug): end the tree as a stop request would, with the grace
    /// period, and report 125 rather than dying and leaving the tree unsupervised.
    /// </summary>
    private static int Abort(in SupervisorConfig config)
    {
        var state = new State { MainExited = true, StopRequested = true };
        StartShutdown(config, ref state);
        Loop(config, ref state);
        return Exit(config, ExitCodes.SetupFailed, 0);
    }

    private static int Loop(in SupervisorConfig config, ref State state)
    {
        sigset_t waited = default;
        Signals.FillWaited(ref waited);
        siginfo_t info;

        // Reaped first (a child may have exited before the loop started), then only when a wait can find
        // something: after SIGCHLD, or a timeout or error. A forwarded signal costs no wait4: a child that
        // exits because of it raises SIGCHLD, which stays pending until the next sigtimedwait returns it.
        bool reap = true;
        while (true)
        {
            if (reap && !ReapChildren(config, ref state) && state.MainExited)
            {
                return ExitCode(config, state.MainStatus);
            }

            if (state.ShutdownDue)
            {
                // Only now, with children known to remain: a tree that is already gone costs no /proc scan.
                state.ShutdownDue = false;
                StartShutdown(config, ref state);
            }

            int signal = WaitForSignal(&waited, &info, state.KillDeadline);
            reap = signal is Libc.SIGCHLD or < 0;
            if (signal == -Libc.EAGAIN)
            {
                int left = KillRemaining(config, Libc.SIGKILL);
                Log(config, 2, "grace period over, sent SIGKILL to "u8, left, " processes"u8);

                // Swept again until ECHILD ends the loop: a process forked during a sweep escapes it.
                state.KillDeadline = Clock.MonotonicMilliseconds() + KillSweepMilliseconds;
            }
            else if (signal > 0 && signal != Libc.SIGCHLD)
            {
                Forward(config, ref state, signal);
            }
        }
    }

    /// <summary>Reaps until nothing is left to reap; false when pid1 has no children at all.</summary>
    private static bool ReapChildren(in SupervisorConfig config, ref State state)
    {
        while (true)
        {
            int status;

            // WUNTRACED: a stopped main child (Ctrl-Z) is reported too, so pid1 can stop with it.
            int pid = Libc.waitpid(-1, &status, Libc.WNOHANG | Libc.WUNTRACED);
            if (pid == 0)
            {
                return true;
            }

            if (pid == -Libc.EINTR)
            {
                continue;
            }

            if (pid < 0)
            {
                return false; // ECHILD: the whole tree is gone
            }

            if (ExitStatus.Stopped(status))
            {
                if (pid == config.MainPid && !state.MainExited)
                {
                    JobControl.MainStopped(config, ExitStatus.StopSignal(status));
                }

                continue;
            }

            Log(config, 3, "reaped "u8, pid, default);
            if (pid == config.MainPid)
            {
                MainExited(config, ref state, status);
            }
        }
    }

    private static void MainExited(in SupervisorConfig config, ref State state, int status)
    {
        state.MainExited = true;
        state.MainStatus = status;
        if (ExitStatus.Signaled(status))
        {
            LogSignal(config, "main child killed by "u8, ExitStatus.Signal(status), default, 0);
        }
        else
        {
            Log(config, 2, "main child exited with code "u8, ExitStatus.Code(status), default);
        }

        JobControl.MainGone(config);
        state.ShutdownDue = true;
    }

    /// <summary>After the main child: TERM the rest now (unless --wait-all), KILL when the grace period ends.</summary>
    private static void StartShutdown(in SupervisorConfig config, ref State state)
    {
        if (state.ShuttingDown || (config.WaitAll && !state.StopRequested))
        {
            return;
        }

        state.ShuttingDown = true;
        int signal = config.GraceMilliseconds == 0 ? Libc.SIGKILL : Libc.SIGTERM;
        int sent = KillRemaining(config, signal);
        LogSignal(config, "sent "u8, signal, " to the remaining processes: "u8, sent);

        // Armed even when /proc showed nobody: children remain (the loop ends only on ECHILD), and one may be
        // between fork and its first /proc entry.
        int wait = signal == Libc.SIGKILL ? KillSweepMilliseconds : config.GraceMilliseconds;
        state.KillDeadline = Clock.MonotonicMilliseconds() + wait;
    }

    private static void Forward(in SupervisorConfig config, ref State state, int signal)
    {
        if (config.StopsTree && signal is Libc.SIGTERM or Libc.SIGINT)
        {
            // The kernel's init: SIGTERM, or ctrl-alt-del (SIGINT), shuts the whole machine's tree down.
            state.StopRequested = true;
            LogSignal(config, "stop signal "u8, signal, ": shutting the tree down"u8, 0);
            StartShutdown(config, ref state);
            return;
        }

        int target = config.RewriteOf(signal);
        if (target == 0)
        {
            LogSignal(config, "dropped "u8, signal, " (--rewrite)"u8, 0);
            return;
        }

        // A stop request is what is delivered, so --rewrite HUP:USR1 makes HUP a reload, not a shutdown.
        bool stop = Signals.IsStopRequest(target);
        state.StopRequested |= stop;
        if (state.MainExited)
        {
            // The main child is gone: a stop request now ends a --wait-all wait; others have nobody to go to.
            if (stop)
            {
                StartShutdown(config, ref state);
            }

            return;
        }

        bool group = config.KillGroup;
        int result = Libc.kill(group ? -config.MainPid : config.MainPid, target);
        LogSignal(config, result == 0 ? "forwarded "u8 : "could not forward "u8, target, group ? " to group "u8 : " to "u8, config.MainPid);
    }

    /// <summary>
    /// Signals the remaining tree; returns how many processes were signalled (as PID 1: 0 or 1). SIGTERM is
    /// followed by SIGCONT: a stopped process (Ctrl-Z) acts on SIGTERM only once it runs again. Both go out
    /// in one pass over the tree (one /proc scan, not two, when pid1 is a subreaper).
    /// </summary>
    private static int KillRemaining(in SupervisorConfig config, int signal)
    {
        int then = signal == Libc.SIGTERM ? Libc.SIGCONT : 0;
        if (config.IsNamespaceInit)
        {
            // As PID 1 of a pid namespace, -1 means every process in it but pid1.
            if (Libc.kill(-1, signal) != 0)
            {
                return 0;
            }

            if (then != 0)
            {
                Libc.kill(-1, then);
            }

            return 1;
        }

        return ProcTree.SignalDescendants(Libc.getpid(), signal, then);
    }

    /// <summary>sigtimedwait until the deadline (0: none); −EAGAIN when it passed.</summary>
    private static int WaitForSignal(sigset_t* waited, siginfo_t* info, long deadline)
    {
        if (deadline == 0)
        {
            return Libc.sigtimedwait(waited, info, null);
        }

        long left = Math.Max(0, deadline - Clock.MonotonicMilliseconds());
        var timeout = new timespec { tv_sec = left / 1000, tv_nsec = left % 1000 * 1_000_000 };
        return Libc.sigtimedwait(waited, info, &timeout);
    }

    private static int ExitCode(in SupervisorConfig config, int status)
    {
        int code = ExitStatus.ToExitCode(status);
        return config.Remaps(code) ? 0 : code;
    }

    /// <summary>The last line at -v; at -vv it also says what the loop allocated (it must be 0).</summary>
    private static int Exit(in SupervisorConfig config, int code, long allocated)
    {
        if (config.Verbosity >= 3)
        {
            Log(config, 3, "exiting with code "u8, code, default, ", the supervisor allocated "u8, allocated, " bytes"u8);
        }
        else
        {
            Log(config, 2, "exiting with code "u8, code, default);
        }

        return code;
    }

    internal static void LogSignal(in SupervisorConfig config, ReadOnlySpan<byte> before, int signal, ReadOnlySpan<byte> after, int number)
    {
        if (config.Verbosity >= 2)
        {
            Span<byte> name = stackalloc byte[16];
            var line = new Native.Log.Line(stackalloc byte[160]);
            line.Append(before);
            line.Append(name.Slice(0, Signals.FormatName(signal, name)));
            line.Append(after);
            if (number != 0)
            {
                line.Append(number);
            }

            line.WriteToStderr();
        }
    }

    private static void Log(in SupervisorConfig config, int level, ReadOnlySpan<byte> what, long number, ReadOnlySpan<byte> after) =>
        Log(config, level, what, number, after, default, 0, default);

    private static void Log(in SupervisorConfig config, int level, ReadOnlySpan<byte> what, long number, ReadOnlySpan<byte> after, ReadOnlySpan<byte> more, long second, ReadOnlySpan<byte> end)
    {
        if (config.Verbosity >= level)
        {
            var line = new Native.Log.Line(stackalloc byte[160]);
            line.Append(what);
            line.Append(number);
            line.Append(after);
            if (more.Length > 0)
            {
                line.Append(more);
                line.Append(second);
                line.Append(end);
            }

            line.WriteToStderr();
        }
    }
}
