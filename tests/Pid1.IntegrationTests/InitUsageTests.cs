using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>Issue 8, bad input and --pdeathsig.</summary>
public class InitUsageTests
{
    [Theory]
    [InlineData("--pdeathsig", "NOPE", "'--pdeathsig': 'NOPE'")]
    [InlineData("--pdeathsig", "65", "'--pdeathsig': '65'")]
    [InlineData("--rewrite", "FOO:TERM", "'--rewrite': 'FOO'")]
    [InlineData("--rewrite", "USR1:BAR", "'--rewrite': 'BAR'")]
    [InlineData("--rewrite", "KILL:TERM", "'--rewrite': SIGKILL")]
    [InlineData("--rewrite", "USR1", "'--rewrite': 'USR1'")]
    [InlineData("--grace", "-1", "'--grace': '-1'")]
    [InlineData("--grace", "soon", "'--grace': 'soon'")]
    [InlineData("--remap-exit", "256", "'--remap-exit': '256'")]
    [InlineData("-e", "-1", "'--remap-exit': '-1'")]
    public void BadInitOption_Gives125NamingOptionAndValue(string option, string value, string named)
    {
        RunResult r = Pid1Binary.Run(option, value, "true");
        Assert.Equal(125, r.ExitCode);
        Assert.StartsWith("pid1: option ", r.Stderr);
        Assert.Contains(named, r.Stderr.Split('\n')[0]);
    }

    [Theory]
    [InlineData(InitMode.Plain)]
    [InlineData(InitMode.PidFlag)]
    public void PdeathSig_ParentDies_ProgramGetsTheSignalAndPid1Exits(InitMode mode)
    {
        // The parent shell starts pid1 in the background, says its pid and waits on stdin; the test kills it.
        string pid1 = Pid1Binary.Path + (mode == InitMode.PidFlag ? " -p" : string.Empty);
        using var parent = Pid1Binary.Start("sh", ["-c", $"{pid1} --pdeathsig TERM \"$0\" -p -x 15 & echo $!; read x", Native.Helper("sigtrap")]);
        int pid = int.Parse(InitRun.ReadLine(parent));
        Assert.Equal("ready", InitRun.ReadLine(parent));
        parent.Kill();
        Assert.Equal("sig 15", InitRun.ReadLine(parent));
        Proc.WaitFor(() => Proc.State(pid), s => s is '\0' or 'Z', "pid1 to exit");
    }

}
