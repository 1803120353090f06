using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>The minimal init of issue 3: exit codes and one-line errors, as a user sees them.</summary>
public class BasicsTests
{
    [Fact]
    public void Run_ProgramExitCode_IsPid1sExitCode()
    {
        RunResult r = Pid1Binary.Run("/bin/sh", "-c", "exit 42");
        Assert.Equal(42, r.ExitCode);
        Assert.Equal(string.Empty, r.Stderr);
    }

    [Fact]
    public void Run_ProgramKilledBySignal_Gives128PlusSignal()
    {
        Assert.Equal(128 + 9, Pid1Binary.Run("/bin/sh", "-c", "kill -KILL $$").ExitCode);
        Assert.Equal(128 + 15, Pid1Binary.Run("/bin/sh", "-c", "kill -TERM $$").ExitCode);
    }

    [Fact]
    public void Run_ProgramNotFound_Gives127AndOneLine()
    {
        RunResult r = Pid1Binary.Run("no-such-program-anywhere");
        Assert.Equal(127, r.ExitCode);
        Assert.Equal("pid1: exec no-such-program-anywhere: ENOENT (No such file or directory)\n", r.Stderr);
    }

    [Fact]
    public void Run_FileNotExecutable_Gives126()
    {
        RunResult r = Pid1Binary.Run("/etc/passwd");
        Assert.Equal(126, r.ExitCode);
        Assert.Contains("EACCES", r.Stderr);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--grace=-1")]
    [InlineData("")]
    public void Run_BadUsage_Gives125WithoutStackTrace(string argument)
    {
        RunResult r = Pid1Binary.Run(argument, "true");
        Assert.Equal(125, r.ExitCode);
        Assert.StartsWith("pid1: ", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Run_Version_PrintsVersion()
    {
        RunResult r = Pid1Binary.Run("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("pid1 ", r.Stdout);
    }

    [Fact]
    public void Run_Help_ListsOptions()
    {
        RunResult r = Pid1Binary.Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage: pid1", r.Stdout);
        Assert.Contains("--mount-proc", r.Stdout);
    }

    [Fact]
    public void Run_ArgumentsAndStdin_ReachTheProgram()
    {
        RunResult r = Pid1Binary.RunCommand(Pid1Binary.Path, ["/bin/sh", "-c", "read line; echo \"$1:$line\"", "sh", "arg one"], System.TimeSpan.FromSeconds(30), stdin: "from stdin\n");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("arg one:from stdin\n", r.Stdout);
    }
}
