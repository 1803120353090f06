using System;
using System.IO;
using System.Threading.Tasks;
using Pid1.Native;
using Xunit;

namespace Pid1.Tests;

/// <summary>The one write-everything loop that Files.WriteText, Output and FdFile share; paths made absolute.</summary>
public class FilesTests
{
    [Theory]
    [InlineData("image.img", "image.img")]
    [InlineData("./a/../b//c/", "b/c")]
    [InlineData("../..", "../..")]
    public void FullPath_Relative_IsUnderTheWorkingDirectory(string path, string expected)
    {
        // .NET's answer for the same working directory, less the trailing separator Files.Normalize drops.
        Assert.Equal(Path.GetFullPath(expected).TrimEnd('/') is { Length: > 0 } full ? full : "/", Files.FullPath(path));
    }

    [Fact]
    public void FullPath_Absolute_OnlyNormalized()
    {
        Assert.Equal("/etc/passwd", Files.FullPath("/tmp/../../etc/./passwd"));
    }

    [Fact]
    public async Task WriteAll_MoreThanAPipeHolds_ArrivesWholeAndInOrder()
    {
        byte[] data = new byte[1 << 20];
        new Random(7).NextBytes(data);
        Pipe pipe = Pipe.Create("test");
        Task<byte[]> reader = Task.Run(() => ReadToEnd(pipe.Read));
        Assert.Equal(0, Files.WriteAll(pipe.Write, data));
        Libc.close(pipe.Write);
        Assert.Equal(data, await reader);
    }

    [Fact]
    public void WriteAll_ReaderGone_IsEpipe()
    {
        // The runtime ignores SIGPIPE, so the write fails instead of killing the test host.
        Pipe pipe = Pipe.Create("test");
        Libc.close(pipe.Read);
        Assert.Equal(-Libc.EPIPE, Files.WriteAll(pipe.Write, "x"u8));
        Libc.close(pipe.Write);
    }

    [Fact]
    public void WriteText_ReplacesTheFilesContent()
    {
        string path = Path.GetTempFileName();
        File.WriteAllText(path, "a longer old content");
        Assert.Equal(0, Files.WriteText(path, "new ü"));
        Assert.Equal("new ü", File.ReadAllText(path));
        File.Delete(path);
    }

    private static unsafe byte[] ReadToEnd(int fd)
    {
        var all = new MemoryStream();
        byte[] buffer = new byte[4096];
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.read(fd, p, (nuint)buffer.Length)) > 0 || n == -Libc.EINTR)
            {
                all.Write(buffer, 0, (int)Math.Max(n, 0));
            }
        }

        Libc.close(fd);
        return all.ToArray();
    }
}
