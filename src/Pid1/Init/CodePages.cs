using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// Once the program runs, pid1 unmaps the page-table entries of its own machine code (MADV_DONTNEED on the
/// executable, never-written segment: the pages stay in the page cache, and the few the supervisor still runs
/// come back as minor faults). Start-up touched nearly all of the code (about 1.9 MB, 470 pages), and the
/// kernel clears every one of those entries when pid1 exits, after the program's exit and before pid1's
/// parent hears of it: that is the largest part of SIGTERM → exit. Done here, while the program starts on
/// the other CPU, it also lowers the idle RSS. Writable and read-only data are left alone: a read-only page
/// may hold a private copy (the runtime writes its stack-protector cookie into .rodata).
/// </summary>
internal static unsafe class CodePages
{
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

        for (ulong i = 0; i < count; i++)
        {
            Elf64_Phdr* segment = headers + i;
            if (segment->p_type != Libc.PT_LOAD || (segment->p_flags & Libc.PF_X) == 0 || (segment->p_flags & Libc.PF_W) != 0)
            {
                continue;
            }

            // Whole pages of the segment only: a page it shares with a neighbour may be that one's data.
            ulong start = (bias + segment->p_vaddr + page - 1) & ~(page - 1);
            ulong end = (bias + segment->p_vaddr + segment->p_memsz) & ~(page - 1);
            if (end > start)
            {
                Libc.madvise((void*)start, (nuint)(end - start), Libc.MADV_DONTNEED);
            }
        }
    }
}
