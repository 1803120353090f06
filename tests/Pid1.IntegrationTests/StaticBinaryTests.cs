using System.IO;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>The product card's promise: one static file that runs in an empty root.</summary>
public class StaticBinaryTests
{
    [Fact]
    public void File_SaysStaticallyLinked()
    {
        RunResult r = Pid1Binary.RunCommand("file", Pid1Binary.Path);
        Assert.Contains("statically linked", r.Stdout);
    }

    /// <summary>Issue 7's budget for the binary ./build.sh makes (static musl): 1.5 MB.</summary>
    [Fact]
    public void Size_IsWithinTheBudget()
    {
        long size = new FileInfo(Pid1Binary.Path).Length;
        Assert.True(size <= 1_500_000, $"out/pid1 is {size} bytes, over the budget of 1,500,000");
    }

    [Fact]
    public void Version_RunsInAnEmptyChroot()
    {
        string root = Directory.CreateTempSubdirectory("pid1-empty-root-").FullName;
        try
        {
            File.Copy(Pid1Binary.Path, Path.Combine(root, "pid1"));
            File.SetUnixFileMode(Path.Combine(root, "pid1"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            RunResult r = Pid1Binary.RunCommand("chroot", root, "/pid1", "--version");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.StartsWith("pid1 ", r.Stdout);
            Assert.Single(Directory.GetFileSystemEntries(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
