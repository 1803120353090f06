using Pid1.Init;
using Pid1.Native;
using Xunit;

namespace Pid1.Tests;

public class ProgramSearchTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Candidates_PathUnsetOrEmpty_SearchesTheDefaultWithSbin(string? path)
    {
        Assert.Equal(
            ["/usr/local/sbin/ip", "/usr/local/bin/ip", "/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip"],
            ProgramSearch.Candidates("ip", path));
        Assert.False(ProgramSearch.LibcSearchesAlike("ip", path));
    }

    [Fact]
    public void Candidates_PathSet_EachEntryInOrder_EmptyEntryIsTheWorkingDirectory()
    {
        Assert.Equal(["/opt/x/ip", "./ip", "/bin/ip"], ProgramSearch.Candidates("ip", "/opt/x::/bin"));
        Assert.True(ProgramSearch.LibcSearchesAlike("ip", "/opt/x::/bin"));
    }

    [Fact]
    public void Candidates_NameWithASlash_IsUsedAsIs()
    {
        Assert.Equal(["./ip"], ProgramSearch.Candidates("./ip", null));
        Assert.True(ProgramSearch.LibcSearchesAlike("./ip", null));
    }

    [Fact]
    public void TryNext_EaccesIsRememberedOverLaterMisses_OtherErrorsStop()
    {
        int reported = Libc.ENOENT;
        Assert.True(ProgramSearch.TryNext(Libc.ENOTDIR, ref reported));
        Assert.Equal(Libc.ENOTDIR, reported);
        Assert.True(ProgramSearch.TryNext(Libc.EACCES, ref reported));
        Assert.True(ProgramSearch.TryNext(Libc.ENOENT, ref reported));
        Assert.Equal(Libc.EACCES, reported);
        Assert.False(ProgramSearch.TryNext(Libc.ENOEXEC, ref reported));
        Assert.Equal(Libc.ENOEXEC, reported);
    }
}
