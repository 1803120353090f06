using System;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// `pid1 stop NAME [--grace S]`: TERM to the sandbox's pid1 (which shuts its tree down with its own grace
/// period) and wait until it is gone; after S seconds (default: the sandbox's grace plus 5) KILL the whole
/// tree. Concurrent stops of one sandbox all succeed, or a late one reports "not running".
/// </summary>
internal static class StopCommand
{
    private const string Synopsis = "stop NAME [--grace SECONDS]";

    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] != "--grace"))
        {
            throw Commands.Usage(Synopsis);
        }

        int? graceSeconds = args.Length == 3 ? Commands.Number("stop", "grace", args[2], min: 0) : null;
        if (Commands.Find("stop", args[0]) is not SandboxState state)
        {
            return Commands.NotRunning;
        }

        int grace = graceSeconds is int s ? s * 1000 : state.GraceMilliseconds + 5000;
        if (!Target.SignalIfSame(state.Pid, state.PidStart, Libc.SIGTERM) && ProcInfo.IsSame(state.Pid, state.PidStart))
        {
            throw new SetupException($"stop: could not signal pid {state.Pid}");
        }

        if (!Target.WaitGone(state.Pid, state.PidStart, grace))
        {
            Log.Warning($"stop: {state.Name} still running after {grace / 1000}s: killing its tree");
            Target.SignalTree(state, Libc.SIGKILL);
            Target.WaitGone(state.Pid, state.PidStart, 5000);
        }

        StateStore.Find(state.Name); // removes the entry if pid1 could not (killed)
        return 0;
    }
}
