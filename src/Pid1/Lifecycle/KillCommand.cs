using System;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// `pid1 kill NAME [SIG]` signals the sandbox's pid1, which forwards it (KILL and STOP cannot be forwarded,
/// so those go to pid1's whole tree). `pid1 kill --sid SID [SIG]` and `pid1 kill --pidns INODE [SIG]`
/// signal exactly the processes of that session or pid namespace, found through /proc. Default: TERM.
/// </summary>
internal static class KillCommand
{
    private const string Synopsis = "kill NAME|--sid SID|--pidns INODE [SIGNAL]";

    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length == 0)
        {
            throw Commands.Usage(Synopsis);
        }

        bool selector = args[0] is "--sid" or "--pidns";
        int consumed = selector ? 2 : 1;
        if (args.Length < consumed || args.Length > consumed + 1)
        {
            throw Commands.Usage(Synopsis);
        }

        int signal = args.Length > consumed ? Commands.Signal("kill", args[consumed]) : Libc.SIGTERM;
        return args[0] switch
        {
            "--sid" => BySession(Commands.Number("kill", "session id", args[1], min: 2), signal),
            "--pidns" => ByPidNamespace(args[1], signal),
            _ => ByName(args[0], signal),
        };
    }

    private static int ByName(string name, int signal)
    {
        if (Commands.Find("kill", name) is not SandboxState state)
        {
            return Commands.NotRunning;
        }

        bool forwardable = signal != Libc.SIGKILL && signal != Libc.SIGSTOP;
        int sent = forwardable
            ? (Target.SignalIfSame(state.Pid, state.PidStart, signal) ? 1 : 0)
            : Target.SignalTree(state, signal);
        if (sent == 0)
        {
            Log.Error($"kill: {name} is not running");
            return Commands.NotRunning;
        }

        if (signal == Libc.SIGKILL && Target.WaitGone(state.Pid, state.PidStart, 2000))
        {
            StateStore.Find(name); // pid1 cannot remove its entry after KILL: this drops the stale one
        }

        return 0;
    }

    private static int BySession(int session, int signal)
    {
        int sent = Target.SignalAll(p => p.Session == session, signal);
        return Report(sent, $"session {session}");
    }

    private static int ByPidNamespace(string text, int signal)
    {
        ulong inode = ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong n) && n > 0
            ? n
            : throw new UsageException($"kill: pid namespace inode '{text}' is not a number");
        if (inode == ProcInfo.NamespaceInode(Environment.ProcessId, "pid"))
        {
            throw new UsageException($"kill: pid namespace {inode} is pid1's own (that would signal every process of the host)");
        }

        int sent = Target.SignalAll(p => ProcInfo.NamespaceInode(p.Pid, "pid") == inode, signal);
        return Report(sent, $"pid namespace {inode}");
    }

    private static int Report(int sent, string what)
    {
        if (sent == 0)
        {
            Log.Error($"kill: no process in {what}");
            return Commands.NotRunning;
        }

        return 0;
    }
}
