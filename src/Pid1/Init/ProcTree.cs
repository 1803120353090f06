using System;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Finds pid1's descendants through /proc without allocating: a scratch table made before fork holds
/// (pid, ppid) pairs; sorted by parent, it gives each process's children by binary search, and the tree is
/// walked from the root, parents before children: O(n log n) in the number of processes on the host.
/// </summary>
internal static unsafe class ProcTree
{
    private const int Capacity = 1 << 16;

    private static int* pids;
    private static int* parents;
    private static int* found;

    /// <summary>
    /// Reserves the table (3 × 256 KiB, mapped on first use); call before forking so the cloned supervisor has it
    /// too. pid1's own supervisor (the posix_spawn path) reserves it when it first needs it.
    /// </summary>
    public static void Prepare()
    {
        if (pids == null)
        {
            pids = (int*)System.Runtime.InteropServices.NativeMemory.Alloc(Capacity, sizeof(int));
            parents = (int*)System.Runtime.InteropServices.NativeMemory.Alloc(Capacity, sizeof(int));
            found = (int*)System.Runtime.InteropServices.NativeMemory.Alloc(Capacity, sizeof(int));
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
        int descendants = FindDescendants(new Span<int>(pids, count), new Span<int>(parents, count), new Span<int>(found, count), root);
        for (int i = 0; i < descendants; i++)
        {
            Libc.kill(found[i], signal);
            if (then != 0)
            {
                Libc.kill(found[i], then);
            }
        }

        return descendants;
    }

    /// <summary>
    /// Writes the pids of <paramref name="root"/>'s descendants in the (pid, parent) table to
    /// <paramref name="descendants"/> (as long as the table), parents before their children, and returns how
    /// many. Reorders the table by parent and marks the entries it took (negative pid): pid reuse between
    /// reads of /proc can make the table cyclic, and an entry taken once is never taken again. The root
    /// itself is never among them. Allocates nothing.
    /// </summary>
    internal static int FindDescendants(Span<int> pids, Span<int> parents, Span<int> descendants, int root)
    {
        SortByParent(pids, parents);
        int count = 0;
        for (int next = -1; next < count; next++)
        {
            int parent = next < 0 ? root : descendants[next];
            for (int i = FirstWithParent(parents, parent); i < parents.Length && parents[i] == parent; i++)
            {
                if (pids[i] > 0 && pids[i] != root)
                {
                    descendants[count++] = pids[i];
                    pids[i] = -pids[i];
                }
            }
        }

        return count;
    }

    /// <summary>Heapsort of the pairs by parent: in place and not recursive (no allocation, bounded stack).</summary>
    private static void SortByParent(Span<int> pids, Span<int> parents)
    {
        for (int i = (parents.Length / 2) - 1; i >= 0; i--)
        {
            SiftDown(pids, parents, i, parents.Length);
        }

        for (int end = parents.Length - 1; end > 0; end--)
        {
            Swap(pids, parents, 0, end);
            SiftDown(pids, parents, 0, end);
        }
    }

    private static void SiftDown(Span<int> pids, Span<int> parents, int i, int length)
    {
        for (int child = (2 * i) + 1; child < length; i = child, child = (2 * i) + 1)
        {
            if (child + 1 < length && parents[child + 1] > parents[child])
            {
                child++;
            }

            if (parents[i] >= parents[child])
            {
                return;
            }

            Swap(pids, parents, i, child);
        }
    }

    private static void Swap(Span<int> pids, Span<int> parents, int a, int b)
    {
        (pids[a], pids[b]) = (pids[b], pids[a]);
        (parents[a], parents[b]) = (parents[b], parents[a]);
    }

    /// <summary>The first index whose parent is <paramref name="parent"/> or more (binary search).</summary>
    private static int FirstWithParent(ReadOnlySpan<int> parents, int parent)
    {
        int low = 0;
        int high = parents.Length;
        while (low < high)
        {
            int middle = low + ((high - low) / 2);
            if (parents[middle] < parent)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
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
