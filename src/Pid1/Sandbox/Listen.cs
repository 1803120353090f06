using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>
/// --listen: socket activation as systemd does it (sd_listen_fds). pid1 binds before clone, in its own
/// network namespace and with its own privileges, so a program in an isolated network namespace, as nobody,
/// still serves a privileged port of the host. The program gets the sockets as fds 3, 4, … and
/// LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID.
/// </summary>
internal static unsafe class Listen
{
    private const string PidPrefix = "LISTEN_PID=";

    /// <summary>Room for any pid's digits: the real value is only known in the child, which must not allocate.</summary>
    private const string PidPlaceholder = "0000000000";

    /// <summary>The environment for the program: stale LISTEN_* replaced by ours (unchanged without --listen).</summary>
    public static List<string> Environment(IEnumerable<string> environment, IReadOnlyList<ListenRequest> listen)
    {
        var result = new List<string>();
        foreach (string e in environment)
        {
            if (listen.Count == 0 || !e.StartsWith("LISTEN_", StringComparison.Ordinal))
            {
                result.Add(e);
            }
        }

        if (listen.Count > 0)
        {
            var names = new string[listen.Count];
            for (int i = 0; i < names.Length; i++)
            {
                names[i] = Name(listen[i]);
            }

            result.Add(FormattableString.Invariant($"LISTEN_FDS={listen.Count}"));
            result.Add("LISTEN_FDNAMES=" + string.Join(':', names));
            result.Add(PidPrefix + PidPlaceholder);
        }

        return result;
    }

    /// <summary>sd_listen_fds_with_names names may not contain ':' (the separator), so "tcp-7", "udp-53".</summary>
    public static string Name(ListenRequest l) => FormattableString.Invariant($"{(l.Udp ? "udp" : "tcp")}-{l.Port}");

    /// <summary>Binds every socket now (before clone) and adds the step that hands them over; returns pid1's copies.</summary>
    public static int[] AddSteps(ChildPlan plan, IReadOnlyList<ListenRequest> listen, ExecSpec* exec)
    {
        if (listen.Count == 0)
        {
            return [];
        }

        var sockets = new int[listen.Count];
        for (int i = 0; i < sockets.Length; i++)
        {
            sockets[i] = Bind(listen[i]);
        }

        int* fds = (int*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sockets.Length, sizeof(int));
        sockets.CopyTo(new Span<int>(fds, sockets.Length));
        plan.Add(
            new ChildStep { Kind = StepKind.PassListenFds, Data = fds, Number = sockets.Length, Text = PidSlot(exec->Envp) },
            $"pass the --listen sockets as fds 3 to {2 + sockets.Length}");
        return sockets;
    }

    /// <summary>After clone the child has its own copies: pid1 keeps none, so only the program holds the port.</summary>
    public static void CloseParentCopies(int[] sockets)
    {
        foreach (int fd in sockets)
        {
            Libc.close(fd);
        }
    }

    /// <summary>
    /// SO_REUSEADDR so a restarted service rebinds at once despite TIME_WAIT; IPV6_V6ONLY so [::]:7 does not
    /// also take 0.0.0.0:7 (a second --listen can); listen(SOMAXCONN) for TCP, before any client arrives.
    /// </summary>
    private static int Bind(ListenRequest l)
    {
        string what = l.Address.Contains(':') ? $"[{l.Address}]:{l.Port}" : $"{l.Address}:{l.Port}";
        what = $"--listen {what}{(l.Udp ? "/udp" : string.Empty)}";
        if (!Addresses.TryParse(l.Address, out int family, out Addresses.Address16 address))
        {
            throw new UsageException($"option '--listen': '{l.Address}' is not an IP address");
        }

        int fd = Check.Ok(Libc.socket(family, (l.Udp ? Libc.SOCK_DGRAM : Libc.SOCK_STREAM) | Libc.SOCK_CLOEXEC, 0), $"{what}: socket");
        int one = 1;
        Check.Ok(Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, &one, sizeof(int)), $"{what}: setsockopt SO_REUSEADDR");
        ushort port = BinaryPrimitives.ReverseEndianness((ushort)l.Port);
        if (family == Libc.AF_INET6)
        {
            Check.Ok(Libc.setsockopt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, &one, sizeof(int)), $"{what}: setsockopt IPV6_V6ONLY");
            var sa = new sockaddr_in6 { sin6_family = (ushort)family, sin6_port = port };
            for (int i = 0; i < 16; i++)
            {
                sa.sin6_addr[i] = address.Bytes[i];
            }

            Check.Ok(Libc.bind(fd, &sa, (uint)sizeof(sockaddr_in6)), $"{what}: bind");
        }
        else
        {
            var sa = new sockaddr_in { sin_family = (ushort)family, sin_port = port, sin_addr = *(uint*)address.Bytes };
            Check.Ok(Libc.bind(fd, &sa, (uint)sizeof(sockaddr_in)), $"{what}: bind");
        }

        if (!l.Udp)
        {
            Check.Ok(Libc.listen(fd, Libc.SOMAXCONN), $"{what}: listen");
        }

        return fd;
    }

    private static byte* PidSlot(byte** envp)
    {
        for (; *envp != null; envp++)
        {
            if (new ReadOnlySpan<byte>(*envp, PidPrefix.Length).SequenceEqual("LISTEN_PID="u8))
            {
                return *envp + PidPrefix.Length;
            }
        }

        throw new InvalidOperationException("LISTEN_PID is missing from the marshalled environment");
    }

    // Child side: allocation-free, −errno on failure.

    /// <summary>
    /// Moves the sockets (and the error pipe, which must live until exec) above the target range, dup2s them
    /// down to 3, 4, … (dup2 leaves FD_CLOEXEC clear on the copy, so they survive exec), closes the
    /// originals, and writes this process's pid (as its pid namespace sees it) into LISTEN_PID.
    /// </summary>
    public static int PassFds(int* fds, int count, byte* pidSlot, ref int errorFd)
    {
        int top = 3 + count;
        int result = MoveAbove(ref errorFd, top);
        for (int i = 0; i < count && result >= 0; i++)
        {
            result = MoveAbove(ref fds[i], top);
        }

        for (int i = 0; i < count && result >= 0; i++)
        {
            result = Libc.dup2(fds[i], 3 + i);
            Libc.close(fds[i]);
        }

        if (result < 0)
        {
            return result;
        }

        WriteDigits(pidSlot, Libc.getpid());
        return 0;
    }

    private static int MoveAbove(ref int fd, int top)
    {
        if (fd >= top)
        {
            return 0;
        }

        int moved = Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, top);
        if (moved < 0)
        {
            return moved;
        }

        Libc.close(fd);
        fd = moved;
        return 0;
    }

    /// <summary>The decimal digits of <paramref name="value"/> then NUL, into the placeholder's room.</summary>
    private static void WriteDigits(byte* slot, int value)
    {
        int length = 1;
        for (int rest = value / 10; rest > 0; rest /= 10)
        {
            length++;
        }

        slot[length] = 0;
        for (int i = length - 1; i >= 0; i--, value /= 10)
        {
            slot[i] = (byte)('0' + (value % 10));
        }
    }
}
