using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>`pid1 kill` by name, session and pid namespace, and `pid1 stop`: exactly the target is hit.</summary>
public sealed class LifecycleKillTests : IDisposable
{
    private readonly LifecycleSandboxes sandboxes = new();

    public void Dispose() => sandboxes.Dispose();

    [Fact]
    public void KillSid_SignalsEveryProcessOfThatSessionAndNoOther()
    {
        Process outsider = Pid1Binary.Start("sleep", ["2301"]);
        Process session = Pid1Binary.Start("setsid", ["-w", "/bin/sh", "-c", "sleep 2301 & echo $!; sleep 2301 & echo $!; echo $$; wait"]);
        sandboxes.Stray(outsider);
        sandboxes.Stray(session);
        int[] members = [int.Parse(session.StandardOutput.ReadLine()!), int.Parse(session.StandardOutput.ReadLine()!)];
        int sid = int.Parse(session.StandardOutput.ReadLine()!);
        Assert.All(members, m => Assert.Equal(sid, Proc.Session(m)));

        RunResult r = Pid1Binary.Run("kill", "--sid", sid.ToString(), "KILL");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.All(members, m => Assert.True(Proc.WaitGone(m)));
        Assert.True(session.WaitForExit(10_000));
        Assert.True(Proc.IsAlive(outsider.Id));

        RunResult again = Pid1Binary.Run("kill", "--sid", sid.ToString());
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"no process in session {sid}", again.Stderr);
    }

    [Fact]
    public void KillPidns_SignalsEveryProcessOfThatNamespaceAndNoOther()
    {
        Process outsider = Pid1Binary.Start("sleep", ["2302"]);
        sandboxes.Stray(outsider);
        string name = sandboxes.NewName("pidns");
        string fifo = sandboxes.ReadyFifo();
        int pid = sandboxes.Detach(name, "-fp", "--mount-proc", "/bin/sh", "-c", $"sleep 2302 & sleep 2302 & echo ready > {fifo}; wait");
        LifecycleSandboxes.WaitReady(fifo);
        ulong inode = LifecycleSandboxes.Entry(name)!.Value.GetProperty("pidns").GetUInt64();
        int[] inside = Proc.InPidNamespace($"pid:[{inode}]");
        Assert.Equal(4, inside.Length); // pid1's init of the namespace, sh, two sleeps

        RunResult r = Pid1Binary.Run("kill", "--pidns", inode.ToString(), "KILL");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.All(inside, p => Assert.True(Proc.WaitGone(p)));
        Assert.True(Proc.WaitGone(pid)); // its tree gone, pid1 (outside the namespace) exits
        Assert.True(Proc.IsAlive(outsider.Id));
        Assert.Null(LifecycleSandboxes.Entry(name));
    }

    [Fact]
    public void KillPidns_OwnNamespace_IsRefused()
    {
        string own = Proc.PidNamespace(Environment.ProcessId);
        RunResult r = Pid1Binary.Run("kill", "--pidns", own[5..^1], "0");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("pid1's own", r.Stderr);
    }

    [Fact]
    public void KillName_ForwardsTheSignalThroughPid1()
    {
        string name = sandboxes.NewName("usr1");
        string fifo = sandboxes.ReadyFifo();
        using Process p = LifecycleNameTests.StartWithStatus(name, "/bin/sh", "-c", $"trap 'exit 7' USR1; sleep 2303 & echo ready > {fifo}; wait");
        LifecycleNameTests.ReadEvent(p);
        LifecycleSandboxes.WaitReady(fifo);
        RunResult r = Pid1Binary.Run("kill", name, "USR1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(p.WaitForExit(10_000));
        Assert.Equal(7, p.ExitCode);
    }

    [Fact]
    public void KillName_Sigkill_HitsTheWholeTreeAndDropsTheEntry()
    {
        string name = sandboxes.NewName("kill9");
        string fifo = sandboxes.ReadyFifo();
        int pid = sandboxes.Detach(name, "/bin/sh", "-c", $"sleep 2307 & a=$!; sleep 2307 & echo $a $! > {fifo}; wait");
        int[] sleepers = LifecycleSandboxes.WaitReady(fifo).Split(' ').Select(int.Parse).ToArray();
        Assert.All(sleepers, p => Assert.True(Proc.IsAlive(p)));
        RunResult r = Pid1Binary.Run("kill", name, "KILL");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(Proc.WaitGone(pid));
        Assert.All(sleepers, p => Assert.True(Proc.WaitGone(p)));
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
    }

    [Theory]
    [InlineData("kill", "life-no-such-sandbox", 1, "life-no-such-sandbox is not running")]
    [InlineData("stop", "life-no-such-sandbox", 1, "life-no-such-sandbox is not running")]
    [InlineData("kill", "a/b", 125, "sandbox name 'a/b'")]
    [InlineData("kill", "--sid", 125, "usage: pid1 kill")]
    [InlineData("stop", "--grace", 125, "sandbox name '--grace' must not start with")]
    public void Commands_BadInput_ClearMessageAndCode(string command, string argument, int code, string message)
    {
        RunResult r = Pid1Binary.Run(command, argument);
        Assert.Equal(code, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void Kill_UnknownSignal_Gives125()
    {
        RunResult r = Pid1Binary.Run("kill", "--sid", "99999", "SIGNOPE");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("unknown signal 'SIGNOPE'", r.Stderr);
    }

    [Fact]
    public void Stop_GracefulTerm_WaitsUntilTheTreeIsGone()
    {
        string name = sandboxes.NewName("stop");
        string log = Path.Combine(Path.GetTempPath(), name + ".log");
        try
        {
            string fifo = sandboxes.ReadyFifo();
            int pid = sandboxes.Detach(name, "--log", log, "-fp", "/bin/sh", "-c", $"trap 'echo got TERM; exit 0' TERM; sleep 2304 & echo ready > {fifo}; wait");
            LifecycleSandboxes.WaitReady(fifo);
            RunResult r = Pid1Binary.Run("stop", name);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.False(Proc.IsAlive(pid));
            Assert.Empty(Proc.WithCommandLine("sleep 2304"));
            Assert.Equal("got TERM\n", File.ReadAllText(log));
            Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));

            RunResult late = Pid1Binary.Run("kill", name);
            Assert.Equal(1, late.ExitCode);
            Assert.Equal($"pid1: kill: {name} is not running\n", late.Stderr);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void Stop_ProgramIgnoresTerm_KilledAfterGrace()
    {
        string name = sandboxes.NewName("stubborn");
        string fifo = sandboxes.ReadyFifo();
        int pid = sandboxes.Detach(name, "/bin/sh", "-c", $"trap '' TERM; echo ready > {fifo}; while :; do sleep 2305; done");
        LifecycleSandboxes.WaitReady(fifo);
        RunResult r = Pid1Binary.Run("stop", name, "--grace", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("killing its tree", r.Stderr);
        Assert.False(Proc.IsAlive(pid));
        Assert.True(Proc.WithCommandLine("sleep 2305").All(p => Proc.WaitGone(p, 2)));
        Assert.Null(LifecycleSandboxes.Entry(name));
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
    }

    [Fact]
    public async Task Stop_TwoConcurrent_BothSucceedOrReportNotRunning()
    {
        string name = sandboxes.NewName("twice");
        int pid = sandboxes.Detach(name, "-fp", "sleep", "2306");
        RunResult[] results = await Task.WhenAll(
            Task.Run(() => Pid1Binary.Run("stop", name)),
            Task.Run(() => Pid1Binary.Run("stop", name)));
        foreach (RunResult r in results)
        {
            Assert.True(r.ExitCode == 0 || (r.ExitCode == 1 && r.Stderr == $"pid1: stop: {name} is not running\n"), r.ToString());
        }

        Assert.False(Proc.IsAlive(pid));
        Assert.Empty(Proc.WithCommandLine("sleep 2306"));
    }
}
