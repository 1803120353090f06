using System;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// What pid1 keeps resident while it only waits. Start-up touches code and read-only data all over the binary,
/// and the kernel maps file pages in fault-around windows and whole large folios, so by the time the program
/// runs nearly all of pid1's 1.9 MB of machine code and 0.5 MB of read-only data count in its RSS, though the
/// supervisor needs a few pages of them.
/// </summary>
internal static unsafe class IdleFootprint
{
    /// <summary>Elf64_Phdr: p_type, p_flags (4 bytes each), p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align.</summary>
    private const ulong ProgramHeaderSize = 56;

    /// <summary>/proc/PID/pagemap: bit 63 page present, 62 swapped, 61 file page (or shared anonymous).</summary>
    private const int FilePageBit = 61;

    /// <summary>How long the program must run, with no signal for pid1, before pid1 counts as idle.</summary>
    public const int IdleAfterMilliseconds = 100;

    /// <summary>
    /// Waits until the program has run <see cref="IdleAfterMilliseconds"/> with no signal for pid1 (SIGCHLD
    /// included), then drops the read-only pages. A signal ends the wait at once and is left pending for the
    /// supervisor (signalfd and poll take nothing); then nothing is dropped: a short run (`pid1 /bin/true`) would
    /// only pay for faulting its exit path back in.
    /// </summary>
    public static void DropReadOnlyPagesWhenIdle()
    {
        sigset_t waited = default;
        Signals.FillWaited(ref waited);
        int fd = Libc.signalfd(-1, &waited, Libc.SFD_CLOEXEC);
        if (fd < 0)
        {
            return;
        }

        var pending = new pollfd { fd = fd, events = Libc.POLLIN };
        int ready;
        while ((ready = Libc.poll(&pending, 1, IdleAfterMilliseconds)) == -Libc.EINTR)
        {
        }

        Libc.close(fd);
        if (ready == 0)
        {
            ulong dropped = DropReadOnlyPages();
            if (Log.Verbosity >= 3)
            {
                Log.Info($"idle: released {dropped / 1024} KiB of pid1's read-only pages");
            }
        }
    }

    /// <summary>
    /// Unmaps pid1's read-only segments (MADV_DONTNEED): the pages stay in the page cache, and those the
    /// supervisor uses come back on first use (minor faults). Never a writable segment. The executable one is
    /// never written and goes whole; in the read-only data the runtime wrote one page at start (the stack
    /// cookie, through mprotect), so there only pages that are still the file's are dropped, as /proc/self/pagemap
    /// tells (without /proc they stay). Whole pages inside each segment only.
    /// </summary>
    /// <returns>How many bytes were passed to MADV_DONTNEED (mapped or not).</returns>
    public static ulong DropReadOnlyPages()
    {
        ulong dropped = 0;
        byte* headers = (byte*)Libc.getauxval(Libc.AT_PHDR);
        ulong count = Libc.getauxval(Libc.AT_PHNUM);
        ulong entrySize = Libc.getauxval(Libc.AT_PHENT);
        ulong page = Libc.getauxval(Libc.AT_PAGESZ);
        if (headers == null || entrySize < ProgramHeaderSize || page == 0)
        {
            return 0;
        }

        // A position-independent binary is loaded at a bias that PT_PHDR reveals; pid1 is not one (bias 0).
        ulong bias = 0;
        for (ulong i = 0; i < count; i++)
        {
            byte* header = headers + (i * entrySize);
            if (*(uint*)header == Libc.PT_PHDR)
            {
                bias = (ulong)headers - VirtualAddress(header);
            }
        }

        int pagemap = -1;
        for (ulong i = 0; i < count; i++)
        {
            byte* header = headers + (i * entrySize);
            uint flags = *(uint*)(header + 4);
            if (*(uint*)header != Libc.PT_LOAD || (flags & Libc.PF_W) != 0)
            {
                continue;
            }

            ulong start = bias + VirtualAddress(header);
            ulong end = start + *(ulong*)(header + 32); // p_filesz
            start = (start + page - 1) & ~(page - 1);
            end &= ~(page - 1);
            if (end <= start)
            {
                continue;
            }

            if ((flags & Libc.PF_X) != 0)
            {
                dropped += Libc.madvise((void*)start, (nuint)(end - start), Libc.MADV_DONTNEED) == 0 ? end - start : 0;
                continue;
            }

            if (pagemap == -1)
            {
                pagemap = Libc.open("/proc/self/pagemap\0"u8.AsPointer(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            }

            if (pagemap >= 0)
            {
                dropped += DropFilePages(pagemap, start, end, page);
            }
        }

        if (pagemap >= 0)
        {
            Libc.close(pagemap);
        }

        return dropped;
    }

    /// <summary>MADV_DONTNEED on the runs of pages that are the file's own or not mapped; never a written one.</summary>
    private static ulong DropFilePages(int pagemap, ulong start, ulong end, ulong page)
    {
        const int Batch = 256;
        ulong dropped = 0;
        ulong* entries = stackalloc ulong[Batch];
        for (ulong chunk = start; chunk < end; chunk += Batch * page)
        {
            int pages = (int)Math.Min(Batch, (end - chunk) / page);
            nint n = Libc.pread(pagemap, entries, (nuint)(pages * sizeof(ulong)), (long)(chunk / page * sizeof(ulong)));
            if (n != pages * sizeof(ulong))
            {
                return dropped;
            }

            int run = 0;
            for (int i = 0; i <= pages; i++)
            {
                // Nothing there (entry 0) or a page of the file: droppable. Anonymous (written) or swapped: kept.
                bool droppable = i < pages && (entries[i] == 0 || ((entries[i] >> FilePageBit) & 1) != 0);
                if (!droppable)
                {
                    ulong length = (ulong)(i - run) * page;
                    if (length > 0 && Libc.madvise((void*)(chunk + ((ulong)run * page)), (nuint)length, Libc.MADV_DONTNEED) == 0)
                    {
                        dropped += length;
                    }

                    run = i + 1;
                }
            }
        }

        return dropped;
    }

    private static ulong VirtualAddress(byte* header) => *(ulong*)(header + 16);
}
