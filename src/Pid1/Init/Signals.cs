using System;
using System.Globalization;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Signal numbers, names and the sets pid1 blocks. The real-time signal glibc calls SIGRTMIN (34) belongs to
/// the .NET runtime, which uses it to suspend threads for the GC (DESIGN hazard 2): it is never blocked,
/// waited for or forwarded; 32 and 33 belong to glibc. Users' real-time signals are 35 (RTMIN+1) to 64.
/// </summary>
internal static unsafe class Signals
{
    public const int Max = 64;

    /// <summary>SIGRTMIN as glibc reports it: NativeAOT's thread-activation signal.</summary>
    public const int RuntimeReserved = 34;

    public const int FirstUserRealtime = RuntimeReserved + 1;

    private static readonly string[] Names =
    {
        string.Empty, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    };

    /// <summary>Signals a user can send through pid1: 1–31 but KILL, STOP and CHLD, and RTMIN+1…RTMAX.</summary>
    public static bool IsForwardable(int signal) =>
        signal is > 0 and < 32 and not Libc.SIGKILL and not Libc.SIGSTOP and not Libc.SIGCHLD
        || signal is >= FirstUserRealtime and <= Max;

    /// <summary>The signals that end a container: forwarded, and they start the shutdown of the tree.</summary>
    public static bool IsStopRequest(int signal) =>
        signal is Libc.SIGTERM or Libc.SIGINT or Libc.SIGQUIT or Libc.SIGHUP;

    /// <summary>"SIGTERM", "SIGRTMIN+3".</summary>
    public static string Name(int signal) => signal switch
    {
        > 0 and < 32 => "SIG" + Names[signal],
        RuntimeReserved => "SIGRTMIN",
        > RuntimeReserved and <= Max => "SIGRTMIN+" + (signal - RuntimeReserved).ToString(CultureInfo.InvariantCulture),
        _ => signal.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Accepts 15, TERM, SIGTERM, term, RTMIN+2, RTMAX-1. Zero is accepted when <paramref name="allowZero"/>.</summary>
    public static bool TryParse(string text, bool allowZero, out int signal)
    {
        signal = 0;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            signal = number;
            return (number == 0 && allowZero) || number is > 0 and <= Max;
        }

        string name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
        {
            name = name.Substring(3);
        }

        int index = Array.IndexOf(Names, name);
        if (index > 0)
        {
            signal = index;
            return true;
        }

        return TryParseRealtime(name, out signal);
    }

    /// <summary>Adds every signal pid1 waits for: the forwardable ones and SIGCHLD.</summary>
    public static void FillWaited(ref sigset_t set)
    {
        for (int signal = 1; signal <= Max; signal++)
        {
            if (IsForwardable(signal) || signal == Libc.SIGCHLD)
            {
                Add(ref set, signal);
            }
        }
    }

    /// <summary>Blocks the waited signals on the calling thread; returns the mask pid1 was started with.</summary>
    public static sigset_t BlockWaited()
    {
        sigset_t waited = default;
        sigset_t original = default;
        FillWaited(ref waited);
        Libc.pthread_sigmask(Libc.SIG_BLOCK, &waited, &original);
        return original;
    }

    public static void Add(ref sigset_t set, int signal) =>
        set.__val[(signal - 1) / 64] |= 1UL << ((signal - 1) % 64);

    public static bool Contains(in sigset_t set, int signal) =>
        (set.__val[(signal - 1) / 64] & (1UL << ((signal - 1) % 64))) != 0;

    private static bool TryParseRealtime(string name, out int signal)
    {
        signal = 0;
        int sign = name.IndexOfAny(new[] { '+', '-' });
        string head = sign < 0 ? name : name.Substring(0, sign);
        int offset = 0;
        if (sign >= 0 && !int.TryParse(name.AsSpan(sign), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out offset))
        {
            return false;
        }

        signal = head switch
        {
            "RTMIN" => RuntimeReserved + offset,
            "RTMAX" => Max + offset,
            _ => 0,
        };
        return signal is >= RuntimeReserved and <= Max;
    }
}
