using Pid1.Cli;

namespace Pid1.Init;

/// <summary>
/// What the supervisor loop needs, as an unmanaged struct: the loop may run in a cloned child (the PID 1 of a
/// new pid namespace), where it must not allocate, so nothing here is a managed reference (hazard 13).
/// </summary>
internal unsafe struct SupervisorConfig
{
    public int MainPid;
    public int GraceMilliseconds;
    public int Verbosity;
    public bool KillGroup;
    public bool WaitAll;

    /// <summary>True when pid1 is PID 1 of its pid namespace: kill(-1) then reaches exactly the tree.</summary>
    public bool IsNamespaceInit;

    /// <summary>The kernel's init: a stop signal TERMs the whole tree (KILL after the grace period).</summary>
    public bool StopsTree;

    /// <summary>pid1 made the main child's group the terminal's foreground (and takes it back after).</summary>
    public bool OnTerminal;

    /// <summary>The main child leads its own process group (not so for pid1's own init of a pid namespace).</summary>
    public bool MainLeadsGroup;

    /// <summary>Rewrite[sig] is the signal forwarded for sig; 0 drops it.</summary>
    public fixed int Rewrite[Signals.Max + 1];

    /// <summary>A bit per exit code 0–255 that --remap-exit turns into 0.</summary>
    public fixed ulong RemapExit[4];

    /// <param name="forwardsToInit">The main child is pid1's own init of a new pid namespace: it gets the
    /// signals itself (it has no process group to signal) and applies --kill-group, --rewrite for the program.</param>
    /// <param name="onTerminal">pid1 hands the terminal's foreground to the program.</param>
    public static SupervisorConfig From(Options options, int mainPid, bool isNamespaceInit, bool forwardsToInit = false, bool onTerminal = false)
    {
        var config = new SupervisorConfig
        {
            MainPid = mainPid,
            GraceMilliseconds = options.GraceMilliseconds,
            Verbosity = options.Verbosity,
            KillGroup = options.KillGroup && !forwardsToInit,
            WaitAll = options.WaitAll,
            IsNamespaceInit = isNamespaceInit,
            OnTerminal = onTerminal,
            MainLeadsGroup = !forwardsToInit,
        };
        for (int signal = 0; signal <= Signals.Max; signal++)
        {
            config.Rewrite[signal] = signal;
        }

        foreach ((int from, int to) in forwardsToInit ? [] : options.Rewrite)
        {
            config.Rewrite[from] = to;
        }

        foreach (int code in options.RemapExit)
        {
            config.RemapExit[code / 64] |= 1UL << (code % 64);
        }

        return config;
    }

    /// <summary>The signal forwarded for <paramref name="signal"/>; 0 when it is dropped.</summary>
    public readonly int RewriteOf(int signal) => Rewrite[signal];

    public readonly bool Remaps(int code) => code is >= 0 and < 256 && (RemapExit[code / 64] & (1UL << (code % 64))) != 0;
}
