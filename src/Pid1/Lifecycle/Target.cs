using System;
using System.Collections.Generic;
using System.Globalization;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// Signals processes by pidfd: the pidfd is opened first, then the process is checked again through /proc
/// (same start time, still matching), and only then signalled through the pidfd. A pid that was reused
/// between the scan and the signal fails the check, and the pidfd can never point to another process.
/// </summary>
internal static unsafe class Target
{
    /// <summary>Signals one process if it is still the one that started at <paramref name="startTime"/>.</summary>
    public static bool SignalIfSame(int pid, ulong startTime, int signal, System.Func<ProcStat, bool>? stillMatches = null)
    {
        if (pid <= 1 || pid == System.Environment.ProcessId)
        {
            return false; // never the host's init, never pid1 itself
        }

        int pidfd = Libc.pidfd_open(pid, 0);
        if (pidfd < 0)
        {
            return false;
        }

        bool sent = ProcInfo.Stat(pid) is ProcStat now && now.IsAlive && now.StartTime == startTime
            && (stillMatches is null || stillMatches(now))
            && Libc.pidfd_send_signal(pidfd, signal, null, 0) == 0;
        Libc.close(pidfd);
        return sent;
    }

    /// <summary>
    /// Signals every process <paramref name="matches"/> selects, scanning /proc again until a scan finds
    /// nobody new (a process forked meanwhile is caught by the next scan). Returns how many were signalled.
    /// </summary>
    public static int SignalAll(System.Func<ProcStat, bool> matches, int signal)
    {
        // Keyed "pid/start time" (a pid is reused, the pair is not): a set of (int, ulong) tuples would compile
        // a hash set and the boxed tuple type for this one use.
        var done = new HashSet<string>(StringComparer.Ordinal);
        for (int pass = 0; pass < 16; pass++)
        {
            bool found = false;
            foreach (int pid in ProcInfo.AllPids())
            {
                if (ProcInfo.Stat(pid) is ProcStat stat && stat.IsAlive && matches(stat) && Key(pid, stat.StartTime) is string key
                    && !done.Contains(key) && SignalIfSame(pid, stat.StartTime, signal, matches))
                {
                    done.Add(key);
                    found = true;
                }
            }

            if (!found)
            {
                break;
            }
        }

        return done.Count;
    }

    private static string Key(int pid, ulong startTime) =>
        pid.ToString(CultureInfo.InvariantCulture) + "/" + startTime.ToString(CultureInfo.InvariantCulture);

    /// <summary>pid1 and every process below it (by parent links), pid1 first.</summary>
    public static int SignalTree(SandboxState state, int signal)
    {
        var tree = new HashSet<int> { state.Pid };
        var stats = new List<ProcStat>();
        foreach (int pid in ProcInfo.AllPids())
        {
            if (ProcInfo.Stat(pid) is ProcStat stat && stat.IsAlive)
            {
                stats.Add(stat);
            }
        }

        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (ProcStat stat in stats)
            {
                if (tree.Contains(stat.Parent) && tree.Add(stat.Pid))
                {
                    grew = true;
                }
            }
        }

        int sent = SignalIfSame(state.Pid, state.PidStart, signal) ? 1 : 0;
        foreach (ProcStat stat in stats)
        {
            if (stat.Pid != state.Pid && tree.Contains(stat.Pid) && SignalIfSame(stat.Pid, stat.StartTime, signal))
            {
                sent++;
            }
        }

        return sent;
    }

    /// <summary>Waits until the process exits (its pidfd becomes readable); false on timeout.</summary>
    public static bool WaitGone(int pid, ulong startTime, int milliseconds)
    {
        int pidfd = Libc.pidfd_open(pid, 0);
        if (pidfd < 0)
        {
            return true; // ESRCH: already gone
        }

        if (!ProcInfo.IsSame(pid, startTime))
        {
            Libc.close(pidfd);
            return true;
        }

        var poll = new pollfd { fd = pidfd, events = Libc.POLLIN };
        long deadline = Clock.MonotonicMilliseconds() + milliseconds;
        int result;
        do
        {
            long left = System.Math.Max(0, deadline - Clock.MonotonicMilliseconds());
            result = Libc.poll(&poll, 1, (int)left);
        }
        while (result == -Libc.EINTR);
        Libc.close(pidfd);
        return result > 0;
    }
}
