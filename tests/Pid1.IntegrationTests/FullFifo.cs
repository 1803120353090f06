using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Pid1.IntegrationTests;

/// <summary>
/// A FIFO the test holds open for reading and writing and fills to the brim: a process that writes a line
/// to it blocks in write(2) until the test reads (<see cref="ReadLine"/>), so the test decides when that
/// process goes on. Held open for writing too, it never reads as closed, and opening it never blocks.
/// </summary>
public sealed class FullFifo : IDisposable
{
    private const int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, EINTR = 4, EAGAIN = 11;
    private const short POLLIN = 1;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly int fd;
    private readonly StringBuilder pending = new();
    private long filler;

    public FullFifo(string path)
    {
        Path = path;
        fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            throw new InvalidOperationException($"open {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        byte[] zeros = new byte[4096];
        nint n;
        while ((n = write(fd, zeros, (nuint)zeros.Length)) > 0)
        {
            filler += n;
        }

        if (Marshal.GetLastPInvokeError() != EAGAIN)
        {
            throw new InvalidOperationException($"fill {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public string Path { get; }

    /// <summary>Reads away the filler (releasing a blocked writer), then the next line written after it.</summary>
    public string ReadLine()
    {
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[4096];
        int newline;
        while ((newline = pending.ToString().IndexOf('\n')) < 0)
        {
            var poll = new PollFd { Fd = fd, Events = POLLIN };
            int left = (int)Math.Max(0, (Patience - clock.Elapsed).TotalMilliseconds);
            int ready = poll1(ref poll, 1, left);
            if (ready < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
                continue; // the test host's own SIGCHLD handler interrupts poll
            }

            if (ready <= 0)
            {
                throw new TimeoutException($"no line on {Path} within {Patience}; so far: '{pending}'");
            }

            int n = (int)read(fd, buffer, (nuint)buffer.Length);
            int skip = (int)Math.Min(filler, Math.Max(n, 0));
            filler -= skip;
            pending.Append(Encoding.UTF8.GetString(buffer, skip, Math.Max(n, 0) - skip));
        }

        string line = pending.ToString(0, newline);
        pending.Remove(0, newline + 1);
        return line;
    }

    public void Dispose() => close(fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nuint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, byte[] buffer, nuint count);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int poll1(ref PollFd fds, nuint count, int timeout);

    [DllImport("libc")]
    private static extern int close(int fd);
}
