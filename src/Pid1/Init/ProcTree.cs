using System;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Finds pid1's descendants through /proc without allocating: a scratch table made before fork holds
/// (pid, ppid) pairs; descendants are found by marking children of marked pids until nothing changes.
/// </summary>
internal static unsafe class ProcTree
{
    private const int Capacity = 1 << 16;

    private static int* pids;
    private static int* parents;

    /// <summary>
    /// Reserves the table (2 × 256 KiB, mapped on first use); call before forking so the cloned supervisor has it
    /// too. pid1's own supervisor (the posix_spawn path) reserves it when it first needs it.
    /// </summary>
    public static void Prepare()
    {
        if (pids == null)
        {
            pids = (int*)System.Runtime.InteropServices.NativeMemory.Alloc(Capacity, sizeof(int));
            parents = (int*)System.Runtime.InteropServices.NativeMemory.Alloc(Capacity, sizeof(int));
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/>, then <paramref name="then"/> unless it is 0, to every descendant of
    /// <paramref name="root"/>; returns how many descendants were signalled.
    /// </summary>
    public static int SignalDescendants(int root, int signal, int then = 0)
    {
        Prepare();
        int count = Snapshot();
        int sent = 0;
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < count; i++)
            {
                if (parents[i] != 0 && (parents[i] == root || IsMarked(parents[i], count)))
                {
                    parents[i] = 0; // marked: a descendant
                    Libc.kill(pids[i], signal);
                    if (then != 0)
                    {
                        Libc.kill(pids[i], then);
                    }

                    sent++;
                    changed = true;
                }
            }
        }

        return sent;
    }

    private static bool IsMarked(int pid, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (pids[i] == pid)
            {
                return parents[i] == 0;
            }
        }

        return false;
    }

    /// <summary>Reads every /proc/PID/stat into the table; returns the number of entries.</summary>
    private static int Snapshot()
    {
        int fd = Libc.open("/proc\0"u8.AsPointer(), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return 0;
        }

        int count = 0;
        byte* entries = stackalloc byte[8192];
        nint n;
        while ((n = Libc.getdents64(fd, entries, 8192)) > 0)
        {
            for (nint offset = 0; offset < n;)
            {
                // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                ushort length = *(ushort*)(entries + offset + 16);
                int pid = ParsePid(entries + offset + 19);
                if (pid > 0 && count < Capacity && ReadParent(pid) is int parent and > 0)
                {
                    pids[count] = pid;
                    parents[count++] = parent;
                }

                offset += length;
            }
        }

        Libc.close(fd);
        return count;
    }

    private static int ParsePid(byte* name)
    {
        int pid = 0;
        for (; *name != 0; name++)
        {
            if (*name is < (byte)'0' or > (byte)'9')
            {
                return 0;
            }

            pid = (pid * 10) + (*name - '0');
        }

        return pid;
    }

    /// <summary>The 4th field of /proc/PID/stat, after the ")" that ends the command name.</summary>
    private static int ReadParent(int pid)
    {
        byte* path = stackalloc byte[32];
        var line = new Span<byte>(path, 32);
        "/proc/"u8.CopyTo(line);
        pid.TryFormat(line.Slice(6), out int digits);
        "/stat\0"u8.CopyTo(line.Slice(6 + digits));
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return 0;
        }

        byte* stat = stackalloc byte[512];
        nint n = Libc.read(fd, stat, 511);
        Libc.close(fd);
        var text = new ReadOnlySpan<byte>(stat, (int)Math.Max(n, 0));
        int close = text.LastIndexOf((byte)')');
        if (close < 0 || close + 4 >= text.Length)
        {
            return 0;
        }

        // ") S 123 ..." : skip ") ", the state letter and a space.
        int parent = 0;
        for (int i = close + 4; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9'; i++)
        {
            parent = (parent * 10) + (text[i] - '0');
        }

        return parent;
    }
}
