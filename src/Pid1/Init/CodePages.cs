using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Once the program runs, pid1 unmaps the page-table entries of its own code and read-only data
/// (MADV_DONTNEED on the binary's never-written segments: the pages stay in the page cache, and the few the
/// supervisor still uses come back as minor faults). Start-up touched nearly all of them (about 2.5 MB, 630
/// pages), and the kernel clears every one of those entries when pid1 exits, after the program's exit and
/// before pid1's parent hears of it: a large part of SIGTERM → exit. Done here, while the program starts on
/// the other CPU, it also halves the idle RSS.
/// A read-only page can still hold a private copy (the runtime writes its stack-protector cookie into
/// .rodata at start-up), which MADV_DONTNEED would throw away: such pages are found in /proc/self/pagemap
/// and kept. Without /proc only the executable segment (never written) is released.
/// </summary>
internal static unsafe class CodePages
{
    /// <summary>Pages looked up in /proc/self/pagemap per read (8 bytes each).</summary>
    private const int Batch = 512;

    private const ulong PagePresent = 1UL << 63;
    private const ulong PageSwapped = 1UL << 62;
    private const ulong PageFileOrShared = 1UL << 61;

    public static void Release()
    {
        var headers = (Elf64_Phdr*)Libc.getauxval(Libc.AT_PHDR);
        ulong count = Libc.getauxval(Libc.AT_PHNUM);
        ulong page = Libc.getauxval(Libc.AT_PAGESZ);
        if (headers == null || page == 0)
        {
            return;
        }

        // Where the binary was loaded relative to its link addresses: 0 for pid1 (static, not PIE).
        ulong bias = 0;
        for (ulong i = 0; i < count; i++)
        {
            if (headers[i].p_type == Libc.PT_PHDR)
            {
                bias = (ulong)headers - headers[i].p_vaddr;
            }
        }

        // Read-only data first, code last: the code that reads pagemap is then released after its last use.
        int pagemap = -1;
        for (ulong n = 0; n < 2 * count; n++)
        {
            Elf64_Phdr segment = headers[n % count];
            bool code = (segment.p_flags & Libc.PF_X) != 0;
            if (segment.p_type != Libc.PT_LOAD || (segment.p_flags & Libc.PF_W) != 0 || code != (n >= count))
            {
                continue;
            }

            // Whole pages of the segment only: a page it shares with a neighbour may be that one's data.
            ulong start = (bias + segment.p_vaddr + page - 1) & ~(page - 1);
            ulong end = (bias + segment.p_vaddr + segment.p_memsz) & ~(page - 1);
            if (end <= start)
            {
                continue;
            }

            if (code)
            {
                Libc.madvise((void*)start, (nuint)(end - start), Libc.MADV_DONTNEED);
                continue;
            }

            if (pagemap < 0)
            {
                pagemap = Libc.open("/proc/self/pagemap\0"u8.AsPointer(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                if (pagemap < 0)
                {
                    continue; // no /proc: only the code, which is never written, is released
                }
            }

            ReleaseUnwritten(pagemap, start, end, page);
        }

        if (pagemap >= 0)
        {
            Libc.close(pagemap);
        }
    }

    /// <summary>MADV_DONTNEED on every run of pages in [start, end) that holds no private copy.</summary>
    private static void ReleaseUnwritten(int pagemap, ulong start, ulong end, ulong page)
    {
        ulong* entries = stackalloc ulong[Batch];
        ulong run = start;
        for (ulong address = start; address < end;)
        {
            ulong pages = System.Math.Min((end - address) / page, Batch);
            long offset = (long)(address / page * sizeof(ulong));
            nint read = Libc.pread(pagemap, entries, (nuint)(pages * sizeof(ulong)), offset);
            if (read != (nint)(pages * sizeof(ulong)))
            {
                return; // unreadable: leave the rest mapped
            }

            for (ulong p = 0; p < pages; p++, address += page)
            {
                ulong entry = entries[p];
                bool privateCopy = (entry & PageFileOrShared) == 0 && (entry & (PagePresent | PageSwapped)) != 0;
                if (privateCopy)
                {
                    Drop(run, address);
                    run = address + page;
                }
            }
        }

        Drop(run, end);
    }

    private static void Drop(ulong start, ulong end)
    {
        if (end > start)
        {
            Libc.madvise((void*)start, (nuint)(end - start), Libc.MADV_DONTNEED);
        }
    }
}
