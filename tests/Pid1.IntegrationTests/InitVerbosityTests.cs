using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>Issue 8, verbosity: -v/-vv/PID1_VERBOSITY lines on stderr, -q silence, and a loop that allocates nothing.</summary>
public class InitVerbosityTests
{
    public static TheoryData<InitMode> Modes => [InitMode.Plain, InitMode.Unshare, InitMode.PidFlag];

    [Fact]
    public void Verbose_LogsSpawnForwardReapAndExit_OneLineEach()
    {
        using InitRun run = InitRun.Start(InitMode.Plain, ["-vv", Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        run.Signal(10);
        Assert.Equal("sig 10", run.ReadLine());
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
        string[] lines = run.Stderr.TrimEnd('\n').Split('\n');
        Assert.All(lines, l => Assert.StartsWith("pid1: ", l));
        Assert.Matches(@"^pid1: started .*sigtrap as pid \d+$", lines[0]);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^pid1: forwarded SIGUSR1 to \d+$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^pid1: reaped \d+$"));
        Assert.Contains("pid1: main child exited with code 0", lines);
        Assert.Matches(@"^pid1: exiting with code 0", lines[^1]);
    }

    [Fact]
    public void Verbose_FromTheEnvironment_NamesRewrittenAndDroppedSignals()
    {
        using InitRun run = InitRun.Start(InitMode.Plain, ["--rewrite", "HUP:RTMIN+3", "--rewrite", "WINCH:0", Native.Helper("sigtrap")], configure: i => i.Environment["PID1_VERBOSITY"] = "2");
        Assert.Equal("ready", run.ReadLine());
        run.Signal(28);
        run.Signal(1);
        Assert.Equal("sig 37", run.ReadLine());
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
        Assert.Contains("pid1: dropped SIGWINCH (--rewrite)\n", run.Stderr);
        Assert.Matches(@"pid1: forwarded SIGRTMIN\+3 to \d+\n", run.Stderr);
        Assert.DoesNotContain("reaped", run.Stderr); // -vv only
    }

    [Fact]
    public void Quiet_PrintsNothingButTheProgramsOutput()
    {
        RunResult r = Pid1Binary.Run("-q", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Supervisor_AllocatesNothingWhileReapingAndForwarding(InitMode mode)
    {
        // -vv makes pid1 report GC.GetAllocatedBytesForCurrentThread() over its loop in the exit line.
        using InitRun run = InitRun.Start(mode, ["-vv", "sh", "-c", "\"$0\" 300 >/dev/null </dev/null; exec \"$1\"", Native.Helper("orphans"), Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        foreach (int signal in InitSignalTests.Forwardable(InitSignalTests.RuntimeSignal(run.Pid1Pid)))
        {
            run.Signal(signal);
            Assert.Equal($"sig {signal}", run.ReadLine());
        }

        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
        var exits = run.Stderr.Split('\n').Where(l => l.StartsWith("pid1: exiting with code ")).ToArray();
        Assert.Equal(mode == InitMode.PidFlag ? 2 : 1, exits.Length);
        Assert.All(exits, l => Assert.EndsWith(", the supervisor allocated 0 bytes", l));
    }
}
