using System.Diagnostics;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>Issue 8, shutdown: stop requests, the grace period, --wait-all; pid1 leaves as soon as the tree is gone.</summary>
public class InitShutdownTests
{
    public static TheoryData<InitMode> Modes => [InitMode.Plain, InitMode.Unshare, InitMode.PidFlag];

    [Theory]
    [MemberData(nameof(Modes))]
    public void Shutdown_GrandchildInAnotherSessionExitsOnTerm_Pid1ExitsLongBeforeTheGrace(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, ["sh", "-c", "setsid sleep 1000 & echo ready; wait"]);
        Assert.Equal("ready", run.ReadLine());
        var clock = Stopwatch.StartNew();
        run.Signal(15);
        Assert.Equal(128 + 15, run.WaitForExit());
        Assert.True(clock.Elapsed.TotalSeconds < 5, $"took {clock.Elapsed} with a grace of 10 s");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Shutdown_GrandchildIgnoresTerm_IsKilledAfterTheGrace(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, ["-v", "--grace", "1", "sh", "-c", "(trap '' TERM; echo ready; exec sleep 1000) & wait"]);
        Assert.Equal("ready", run.ReadLine());
        var clock = Stopwatch.StartNew();
        run.Signal(15);
        Assert.Equal(128 + 15, run.WaitForExit());
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.8, 5);
        Assert.Contains("pid1: grace period over, sent SIGKILL to ", run.Stderr);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Shutdown_GraceZero_KillsTheRestAtOnce(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, ["-v", "--grace", "0", "sh", "-c", "(trap '' TERM; echo ready; exec sleep 1000) & wait"]);
        Assert.Equal("ready", run.ReadLine());
        run.Signal(15);
        Assert.Equal(128 + 15, run.WaitForExit());
        Assert.Contains("pid1: sent SIGKILL to the remaining processes: ", run.Stderr);
        Assert.DoesNotContain("grace period over", run.Stderr);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void WaitAll_StopRequestWhileTheProgramRuns_StillEndsTheWholeTree(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, ["--wait-all", "sh", "-c", "sleep 1000 & echo ready; wait"]);
        Assert.Equal("ready", run.ReadLine());
        var clock = Stopwatch.StartNew();
        run.Signal(15);
        Assert.Equal(128 + 15, run.WaitForExit());
        Assert.True(clock.Elapsed.TotalSeconds < 5, $"took {clock.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void WaitAll_ProgramExits_Pid1WaitsForTheLastDescendant(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, ["--wait-all", "sh", "-c", "\"$0\" -p -x 15 & exit 7", Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        Proc.WaitFor(() => Proc.Children(run.InitPid), c => c.Length == 1 && Proc.Comm(c[0]) == "sigtrap", "sh to exit");
        Assert.False(run.Process.HasExited);

        // With the program gone, a stop request ends the wait: the rest of the tree gets SIGTERM.
        run.Signal(15);
        Assert.Equal("sig 15", run.ReadLine());
        Assert.Equal(7, run.WaitForExit());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Stop_ProgramStoppedBySigtstp_NobodyHangsAndSigcontResumesIt(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, ["-v", "sh", "-c", "echo ready; exec cat"]);
        Assert.Equal("ready", run.ReadLine());
        int program = Proc.WaitFor(() => Proc.Children(run.InitPid), c => c.Length == 1 && Proc.Comm(c[0]) == "cat", "the program")[0];
        run.Signal(20);
        Proc.WaitFor(() => Proc.State(program), s => s == 'T', "the program to stop");
        if (mode == InitMode.Plain)
        {
            // Not PID 1: pid1 stops with its program, so a shell sees the job stopped.
            Proc.WaitFor(() => Proc.State(run.Pid1Pid), s => s == 'T', "pid1 to stop too");
        }
        else
        {
            Proc.WaitFor(() => run.Stderr, e => e.Contains("stopped by SIGTSTP; pid1 is PID 1 and leaves it stopped"), "the log line");
            Assert.NotEqual('T', Proc.State(run.InitPid));
        }

        run.Signal(18);
        Proc.WaitFor(() => Proc.State(program), s => s != 'T', "the program to continue");
        run.Process.StandardInput.WriteLine("after the stop");
        Assert.Equal("after the stop", run.ReadLine());
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
    }
}
