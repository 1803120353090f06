using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;
using Xunit;

namespace Pid1.Tests;

public class SupervisorConfigTests
{
    private static Options Parse(params string[] args) => CommandLine.Parse(args, _ => null, callerIsRoot: true);

    [Fact]
    public void From_Rewrite_MapsDropsAndKeepsTheRest()
    {
        var config = SupervisorConfig.From(Parse("--rewrite", "USR1:USR2", "--rewrite", "HUP:0", "true"), 42, isNamespaceInit: false);
        Assert.Equal(Libc.SIGUSR2, config.RewriteOf(Libc.SIGUSR1));
        Assert.Equal(0, config.RewriteOf(Libc.SIGHUP));
        Assert.Equal(Libc.SIGTERM, config.RewriteOf(Libc.SIGTERM));
        Assert.True(config.MainLeadsGroup);
    }

    [Fact]
    public void From_ForwardingToPid1sOwnInit_LeavesRewriteAndGroupToThatInit()
    {
        var config = SupervisorConfig.From(Parse("-g", "--rewrite", "USR1:0", "true"), 42, isNamespaceInit: false, forwardsToInit: true);
        Assert.Equal(Libc.SIGUSR1, config.RewriteOf(Libc.SIGUSR1));
        Assert.False(config.KillGroup);
        Assert.False(config.MainLeadsGroup);
    }

    [Fact]
    public void From_RemapExit_RemapsOnlyTheGivenCodes()
    {
        var config = SupervisorConfig.From(Parse("-e", "143", "-e", "0", "-e", "255", "true"), 42, isNamespaceInit: false);
        Assert.True(config.Remaps(143));
        Assert.True(config.Remaps(255));
        Assert.False(config.Remaps(1));
        Assert.False(config.Remaps(256));
    }

    [Fact]
    public void From_Defaults_TenSecondsOfGrace()
    {
        var config = SupervisorConfig.From(Parse("true"), 42, isNamespaceInit: true, onTerminal: true);
        Assert.Equal(10_000, config.GraceMilliseconds);
        Assert.True(config.IsNamespaceInit);
        Assert.True(config.OnTerminal);
    }

    [Fact]
    public void LogLine_AppendNumber_AllocatesNothing()
    {
        var first = new Log.Line(stackalloc byte[64]);
        first.Append(-12345);
        long before = System.GC.GetAllocatedBytesForCurrentThread();
        var line = new Log.Line(stackalloc byte[64]);
        line.Append("reaped "u8);
        line.Append(int.MaxValue);
        Assert.Equal(0, System.GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
