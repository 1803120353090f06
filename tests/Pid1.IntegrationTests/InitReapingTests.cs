using System.Diagnostics;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace Pid1.IntegrationTests;

/// <summary>Issue 8, reaping: orphans of the tree are reparented to pid1 and reaped, as PID 1 and as a subreaper.</summary>
public class InitReapingTests(ITestOutputHelper output)
{
    /// <summary>The benchmark makes 100 000; 1 000 keep this test a few seconds on a busy 2-core machine.</summary>
    private const int Orphans = 1000;

    public static TheoryData<InitMode> Modes => [InitMode.Plain, InitMode.Unshare, InitMode.PidFlag];

    [Theory]
    [MemberData(nameof(Modes))]
    public void Reap_OrphanStorm_LeavesNoZombie(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, [Native.Helper("orphans"), Orphans.ToString()]);
        var clock = Stopwatch.StartNew();
        Assert.Equal($"done {Orphans}", run.ReadLine());

        // Every orphan was a child of pid1 (a zombie until reaped): only the program itself may be left.
        int program = Proc.WaitFor(() => Proc.Children(run.InitPid), c => c.Length == 1, "pid1 to reap every orphan")[0];
        output.WriteLine($"{mode}: {Orphans} orphans made and reaped in {clock.ElapsedMilliseconds} ms");
        Assert.Equal("orphans", Proc.Comm(program));
        // The program itself, on its way to wait on stdin (it may still be running just after printing).
        Proc.WaitFor(() => Proc.State(program), state => state == 'S', "the program to wait on stdin");
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Subreaper_OrphanedGrandchild_IsReparentedToPid1AndReaped(InitMode mode)
    {
        // --wait-all keeps pid1 after sh exits, until the orphaned sleep is gone too.
        using InitRun run = InitRun.Start(mode, ["--wait-all", "sh", "-c", "sleep 1000 & echo started"]);
        Assert.Equal("started", run.ReadLine());
        int orphan = Proc.WaitFor(() => Proc.Children(run.InitPid), c => c.Length == 1 && Proc.Comm(c[0]) == "sleep", "sh to exit and sleep to be reparented")[0];
        Assert.Equal(run.InitPid.ToString(), Proc.StatusField(orphan, "PPid"));
        Native.Kill(orphan, 15);
        Assert.Equal(0, run.WaitForExit());
        Assert.Equal('\0', Proc.State(orphan));
        Assert.Equal(string.Empty, run.Stderr);
    }
}
