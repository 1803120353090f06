using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Ctrl-Z through pid1: when the main child stops (SIGTSTP, SIGTTIN, SIGTTOU, SIGSTOP), pid1 stops too, so the
/// shell that started pid1 sees its job stopped and can `fg` or `bg` it; when pid1 is continued, it continues
/// the child. Without this the shell waits for pid1 forever while the child sits stopped (tini's hang).
/// </summary>
internal static class JobControl
{
    public static void MainStopped(in SupervisorConfig config, int signal)
    {
        if (config.IsNamespaceInit)
        {
            // PID 1 of a namespace cannot stop itself (the kernel ignores SIGSTOP sent from inside): leave the
            // child stopped; a SIGCONT sent to pid1 is forwarded and continues it.
            Supervisor.LogSignal(config, "main child stopped by "u8, signal, "; pid1 is PID 1 and leaves it stopped"u8, 0);
            return;
        }

        Supervisor.LogSignal(config, "main child stopped by "u8, signal, ", stopping pid1 too"u8, 0);
        int ownGroup = Libc.getpgid(0);
        HandTerminal(config, from: config.MainPid, to: ownGroup);

        // SIGSTOP cannot be blocked: pid1 stops here, and runs on from here when its shell continues it.
        Libc.kill(Libc.getpid(), Libc.SIGSTOP);

        // `fg` gave the terminal back to pid1's group before continuing it; `bg` did not.
        HandTerminal(config, from: ownGroup, to: config.MainPid);
        int result = Libc.kill(config.MainLeadsGroup ? -config.MainPid : config.MainPid, Libc.SIGCONT);
        Supervisor.LogSignal(config, result == 0 ? "continued, forwarded "u8 : "continued, could not forward "u8, Libc.SIGCONT, " to "u8, config.MainPid);
    }

    /// <summary>The main child is gone: its group had the terminal; give it back to pid1's caller.</summary>
    public static void MainGone(in SupervisorConfig config)
    {
        // Checked before getpgid: without a terminal there is nothing to hand back, and no syscall to make.
        if (config.OnTerminal)
        {
            HandTerminal(config, from: config.MainPid, to: Libc.getpgid(0));
        }
    }

    /// <summary>
    /// Moves the terminal's foreground from group <paramref name="from"/> to <paramref name="to"/>, only if pid1
    /// gave the child the terminal and <paramref name="from"/> has it now. pid1 blocks SIGTTOU, so tcsetpgrp
    /// from a background group succeeds instead of stopping pid1.
    /// </summary>
    private static void HandTerminal(in SupervisorConfig config, int from, int to)
    {
        if (config.OnTerminal && to > 0 && Libc.tcgetpgrp(Libc.STDIN_FILENO) == from)
        {
            Libc.tcsetpgrp(Libc.STDIN_FILENO, to);
        }
    }
}
