using Pid1.Cli;
using Pid1.Init;
using Xunit;

namespace Pid1.Tests;

/// <summary>What the kernel's command line after `--` becomes when pid1 is /init.</summary>
public class KernelInitTests
{
    [Fact]
    public void ParseArguments_Nothing_RunsInitDRun()
    {
        Options o = KernelInit.ParseArguments([]);
        Assert.Equal("/init.d/run", o.Program);
        Assert.False(o.Reboot);
    }

    [Fact]
    public void ParseArguments_OptionsOnly_RunInitDRunWithThem()
    {
        Options o = KernelInit.ParseArguments(["--reboot", "--grace", "1"]);
        Assert.Equal("/init.d/run", o.Program);
        Assert.True(o.Reboot);
        Assert.Equal(1000, o.GraceMilliseconds);
    }

    [Fact]
    public void ParseArguments_ProgramAndArguments_AreKept()
    {
        Options o = KernelInit.ParseArguments(["--reboot", "/bin/sh", "-c", "echo hi"]);
        Assert.Equal("/bin/sh", o.Program);
        Assert.Equal(["-c", "echo hi"], o.Arguments);
        Assert.True(o.Reboot);
    }

    [Fact]
    public void IsKernelInit_InATestProcess_IsFalse() => Assert.False(KernelInit.IsKernelInit());
}
