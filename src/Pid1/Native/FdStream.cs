using System;
using System.IO;

namespace Pid1.Native;

/// <summary>
/// A file descriptor as a plain sequential Stream, for GZipStream: FileStream would bring SafeFileHandle and
/// its buffering strategies into the binary (see <see cref="Files"/>). Errors are SetupExceptions naming
/// the file; the descriptor is closed on dispose.
/// </summary>
internal sealed unsafe class FdStream(int fd, string shown) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Opens <paramref name="path"/> (O_CLOEXEC added); a failure is "open PATH: ERRNO".</summary>
    public static FdStream Open(string path, int flags) =>
        new(Check.Ok(Files.Open(path, flags, 0x1B6), $"open {path}"), path);

    public override int Read(byte[] buffer, int offset, int count)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.read(fd, p + offset, (nuint)count)) == -Libc.EINTR)
            {
            }
        }

        return (int)Check.Ok((long)n, $"read {shown}");
    }

    public override void Write(byte[] buffer, int offset, int count) =>
        Check.Ok(Files.WriteAll(fd, buffer.AsSpan(offset, count)), $"write {shown}");

    /// <summary>Nothing is buffered here.</summary>
    public override void Flush()
    {
    }

    /// <summary>fsync(2): the data is on the disk.</summary>
    public void FlushToDisk() => Check.Ok(Libc.fsync(fd), $"fsync {shown}");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (fd >= 0)
        {
            Libc.close(fd);
            fd = -1;
        }

        base.Dispose(disposing);
    }
}
