using System;

namespace Pid1.Native;

/// <summary>
/// A file descriptor read or written in order, for the checkpoint's gzip: FileStream would bring SafeFileHandle
/// and its buffering strategies into the binary (see <see cref="Files"/>), and pid1's gzip needs no Stream.
/// Errors are SetupExceptions naming the file; the descriptor is closed on dispose.
/// </summary>
internal sealed unsafe class FdFile(int fd, string name) : IDisposable
{
    /// <summary>The path it was opened with, for messages.</summary>
    public string Name { get; } = name;

    /// <summary>Opens <paramref name="path"/> (O_CLOEXEC added); a failure is "open PATH: ERRNO".</summary>
    public static FdFile Open(string path, int flags) =>
        new(Check.Ok(Files.Open(path, flags, 0x1B6), $"open {path}"), path);

    /// <summary>Up to <paramref name="count"/> bytes; 0 at the end of the file.</summary>
    public int Read(byte[] buffer, int offset, int count)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.read(fd, p + offset, (nuint)count)) == -Libc.EINTR)
            {
            }
        }

        return (int)Check.Ok((long)n, $"read {Name}");
    }

    public void Write(ReadOnlySpan<byte> bytes) => Check.Ok(Files.WriteAll(fd, bytes), $"write {Name}");

    /// <summary>fsync(2): the data is on the disk.</summary>
    public void FlushToDisk() => Check.Ok(Libc.fsync(fd), $"fsync {Name}");

    public void Dispose()
    {
        if (fd >= 0)
        {
            Libc.close(fd);
            fd = -1;
        }
    }
}
