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
    private struct State
    {
        public int MainStatus;
        public bool MainExited;
        public bool StopRequested;
        public long KillDeadline;
    }

    public static int Run(in SupervisorConfig config)
    {
        sigset_t waited = default;
        Signals.FillWaited(ref waited);
        var state = default(State);
        siginfo_t info;
        while (true)
        {
            if (!ReapChildren(config, ref state) && state.MainExited)
            {
                return ExitCode(config, state.MainStatus);
            }

            int signal = WaitForSignal(&waited, &info, state.KillDeadline);
            if (signal == -Libc.EAGAIN)
            {
                Log(config, 2, "grace period over, killing what is left"u8, 0);
                KillRemaining(config, Libc.SIGKILL);
                state.KillDeadline = 0;
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
            int pid = Libc.waitpid(-1, &status, Libc.WNOHANG);
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

            Log(config, 3, "reaped "u8, pid);
            if (pid == config.MainPid)
            {
                state.MainExited = true;
                state.MainStatus = status;
                Log(config, 2, "main child exited, code "u8, ExitStatus.ToExitCode(status));
                StartShutdown(config, ref state);
            }
        }
    }

    /// <summary>After the main child: TERM the rest now (unless --wait-all), KILL when the grace period ends.</summary>
    private static void StartShutdown(in SupervisorConfig config, ref State state)
    {
        if (config.WaitAll && !state.StopRequested)
        {
            return;
        }

        if (config.GraceMilliseconds == 0)
        {
            KillRemaining(config, Libc.SIGKILL);
            return;
        }

        // The deadline is set even when /proc showed nobody: a child may be between fork and its first
        // /proc entry, and the loop only ends on ECHILD.
        KillRemaining(config, Libc.SIGTERM);
        state.KillDeadline = Clock.MonotonicMilliseconds() + config.GraceMilliseconds;
    }

    private static void Forward(in SupervisorConfig config, ref State state, int signal)
    {
        int target = config.Rewrite[signal];
        if (Signals.IsStopRequest(signal))
        {
            state.StopRequested = true;
            if (config.StopsTree && signal is Libc.SIGTERM or Libc.SIGINT && state.KillDeadline == 0)
            {
                // The kernel's init: SIGTERM or ctrl-alt-del (SIGINT) shuts the whole machine's tree down.
                Log(config, 2, "stop signal: shutting the tree down "u8, signal);
                StartShutdown(config, ref state);
                return;
            }
        }

        if (target == 0)
        {
            Log(config, 2, "dropped signal "u8, signal);
            return;
        }

        if (state.MainExited)
        {
            // The main child is gone: a stop request now only hurries the shutdown along.
            if (Signals.IsStopRequest(signal) && state.KillDeadline == 0 && config.WaitAll)
            {
                StartShutdown(config, ref state);
            }

            return;
        }

        int result = Libc.kill(config.KillGroup ? -config.MainPid : config.MainPid, target);
        Log(config, 2, result == 0 ? "forwarded signal "u8 : "could not forward signal "u8, target);
    }

    /// <summary>Signals what is left of the tree.</summary>
    private static void KillRemaining(in SupervisorConfig config, int signal)
    {
        if (config.IsNamespaceInit)
        {
            // As PID 1 of a pid namespace, -1 means every process in it but pid1.
            Libc.kill(-1, signal);
            return;
        }

        ProcTree.SignalDescendants(Libc.getpid(), signal);
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

    private static void Log(in SupervisorConfig config, int level, ReadOnlySpan<byte> what, int number)
    {
        if (config.Verbosity >= level)
        {
            var line = new Native.Log.Line(stackalloc byte[128]);
            line.Append(what);
            line.Append(number);
            line.WriteToStderr();
        }
    }
}
