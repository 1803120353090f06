using System;
using System.Globalization;
using System.Text;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Signal numbers, names and the sets pid1 blocks. The real-time signal the linked libc calls SIGRTMIN (glibc 34,
/// musl 35) belongs to the .NET runtime, which uses it to suspend threads for the GC (DESIGN hazard 2): it is
/// never blocked, waited for or forwarded. The ones below it belong to the libc (glibc 32–33, musl 32–34).
/// Users' real-time signals are the rest, up to 64. Names follow kill(1) and glibc programs (RTMIN is 34)
/// whichever libc pid1 is linked with, so that "RTMIN+3" means 37 for every build.
/// </summary>
internal static unsafe class Signals
{
    public const int Max = 64;

    /// <summary>The first signal a libc keeps for itself (thread cancellation, setxid, timers); never forwarded.</summary>
    public const int FirstLibcInternal = 32;

    /// <summary>SIGRTMIN as kill(1), glibc and the kernel's users name it; "RTMIN+N" counts from here.</summary>
    public const int NamedRtmin = 34;

    /// <summary>
    /// SIGRTMIN as the linked libc reports it: NativeAOT's thread-activation signal (glibc 34, musl 35). Asked
    /// each time (the libc returns a constant) rather than kept in a static field: a static constructor runs on
    /// first use, and its first use can be in the -p init's supervisor, which must allocate nothing.
    /// </summary>
    public static int RuntimeReserved => Libc.__libc_current_sigrtmin();

    /// <summary>The first real-time signal pid1 forwards: everything from 32 up to the runtime's is the libc's or the runtime's.</summary>
    public static int FirstUserRealtime => RuntimeReserved + 1;

    /// <summary>Signals a user can send through pid1: 1–31 but KILL, STOP and CHLD, and RTMIN+1…RTMAX.</summary>
    public static bool IsForwardable(int signal) =>
        signal is > 0 and < 32 and not Libc.SIGKILL and not Libc.SIGSTOP and not Libc.SIGCHLD
        || (signal >= FirstUserRealtime && signal <= Max);

    /// <summary>The signals that end a container: forwarded, and they start the shutdown of the tree.</summary>
    public static bool IsStopRequest(int signal) =>
        signal is Libc.SIGTERM or Libc.SIGINT or Libc.SIGQUIT or Libc.SIGHUP;

    /// <summary>"SIGTERM", "SIGRTMIN+3".</summary>
    public static string Name(int signal)
    {
        Span<byte> name = stackalloc byte[16];
        return Encoding.UTF8.GetString(name.Slice(0, FormatName(signal, name)));
    }

    /// <summary>
    /// Writes "SIGTERM", "SIGRTMIN+3" or the bare number into <paramref name="destination"/> (16 bytes are
    /// enough) from static tables, allocating nothing: the supervisor logs signal names with it.
    /// </summary>
    public static int FormatName(int signal, Span<byte> destination)
    {
        ReadOnlySpan<byte> shortName = ShortName(signal);
        if (shortName.Length > 0)
        {
            "SIG"u8.CopyTo(destination);
            shortName.CopyTo(destination.Slice(3));
            return 3 + shortName.Length;
        }

        int length = 0;
        if (signal is >= NamedRtmin and <= Max)
        {
            "SIGRTMIN"u8.CopyTo(destination);
            length = 8;
            if (signal == NamedRtmin)
            {
                return length;
            }

            destination[length++] = (byte)'+';
            signal -= NamedRtmin;
        }

        System.Buffers.Text.Utf8Formatter.TryFormat(signal, destination.Slice(length), out int digits);
        return length + digits;
    }

    /// <summary>The name of a standard signal without "SIG", as the kernel headers spell it; empty for others.</summary>
    private static ReadOnlySpan<byte> ShortName(int signal) => signal switch
    {
        1 => "HUP"u8,
        2 => "INT"u8,
        3 => "QUIT"u8,
        4 => "ILL"u8,
        5 => "TRAP"u8,
        6 => "ABRT"u8,
        7 => "BUS"u8,
        8 => "FPE"u8,
        9 => "KILL"u8,
        10 => "USR1"u8,
        11 => "SEGV"u8,
        12 => "USR2"u8,
        13 => "PIPE"u8,
        14 => "ALRM"u8,
        15 => "TERM"u8,
        16 => "STKFLT"u8,
        17 => "CHLD"u8,
        18 => "CONT"u8,
        19 => "STOP"u8,
        20 => "TSTP"u8,
        21 => "TTIN"u8,
        22 => "TTOU"u8,
        23 => "URG"u8,
        24 => "XCPU"u8,
        25 => "XFSZ"u8,
        26 => "VTALRM"u8,
        27 => "PROF"u8,
        28 => "WINCH"u8,
        29 => "IO"u8,
        30 => "PWR"u8,
        31 => "SYS"u8,
        _ => default,
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

        for (int standard = 1; standard < 32; standard++)
        {
            if (ShortName(standard).SequenceEqual(Encoding.UTF8.GetBytes(name)))
            {
                signal = standard;
                return true;
            }
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

    /// <summary>
    /// The mask pid1 was started with, which its program gets back (DESIGN hazard 9). The waited signals are
    /// blocked already: src/Pid1/Native/early-signals.c blocks <see cref="FillWaited"/>'s set from an ELF
    /// constructor, before the runtime starts (pid1's only thread, see Native/one-thread.c; masks are per thread
    /// and inherited, hazard 3), and records the mask it found. A signal sent while the runtime starts stays
    /// pending until the supervisor takes it.
    /// </summary>
    public static sigset_t InheritedMask()
    {
        sigset_t original = default;
        Libc.pid1_inherited_sigmask(&original);
        return original;
    }

    /// <summary>
    /// Whether pid1's caller left SIGPIPE ignored. The runtime ignores it for itself before Main, so the ELF
    /// constructor looked first; the program gets SIGPIPE back as the caller had it.
    /// </summary>
    public static bool PipeIgnoredByCaller() => Libc.pid1_inherited_sigpipe_ignored() != 0;

    /// <summary>The signals a spawned program resets to SIG_DFL: SIGPIPE, unless pid1's caller ignored it.</summary>
    public static sigset_t SpawnDefaults()
    {
        sigset_t defaults = default;
        if (!PipeIgnoredByCaller())
        {
            Add(ref defaults, Libc.SIGPIPE);
        }

        return defaults;
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
            "RTMIN" => NamedRtmin + offset,
            "RTMAX" => Max + offset,
            _ => 0,
        };
        return signal is >= NamedRtmin and <= Max;
    }
}
