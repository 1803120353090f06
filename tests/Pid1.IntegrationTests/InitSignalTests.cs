using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>Issue 8, signals: what pid1 forwards, to whom, what it drops, and the mask the program gets.</summary>
public class InitSignalTests
{
    public static TheoryData<InitMode> Modes => [InitMode.Plain, InitMode.Unshare, InitMode.PidFlag];

    /// <summary>
    /// 1–31 but KILL, STOP and CHLD, and the real-time signals above the runtime's. From 32 to the runtime's
    /// they belong to the libc pid1 is linked with (glibc 32–33, musl 32–34) and to the runtime.
    /// </summary>
    public static IEnumerable<int> Forwardable(int runtimeSignal) =>
        Enumerable.Range(1, 64).Where(s => s is not (9 or 19 or 17) && (s < 32 || s > runtimeSignal));

    /// <summary>
    /// The .NET runtime's thread-activation signal in the running pid1: the libc's SIGRTMIN (glibc 34, musl 35),
    /// read from what the process catches, the highest real-time signal below 40 (glibc also catches 33).
    /// </summary>
    public static int RuntimeSignal(int pid)
    {
        ulong caught = ulong.Parse(Proc.StatusField(pid, "SigCgt"), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        int signal = Enumerable.Range(32, 8).LastOrDefault(s => (caught & (1UL << (s - 1))) != 0);
        Assert.True(signal is 34 or 35, $"runtime signal {signal}: SigCgt {caught:x16}");
        return signal;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Forward_EveryForwardableSignal_ReachesTheProgram(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, [Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        foreach (int signal in Forwardable(RuntimeSignal(run.Pid1Pid)))
        {
            run.Signal(signal);
            Assert.Equal($"sig {signal}", run.ReadLine());
        }

        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Forward_RuntimeSignalRtmin_IsNeverForwardedAndPid1Survives(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, [Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        run.Signal(RuntimeSignal(run.Pid1Pid));
        run.Signal(10);
        Assert.Equal("sig 10", run.ReadLine());
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
        Assert.Equal(string.Empty, run.Stderr);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Forward_SignalPendingBeforePid1Started_ReachesTheProgram(InitMode mode)
    {
        // The wrapper blocks SIGUSR1 and sends it to itself: it is pending when pid1's runtime starts.
        using InitRun run = InitRun.Start(mode, [Native.Helper("sigtrap"), "-u", "-x", "10"], wrapper: [Native.Helper("sigwrap"), "-b", "10", "-r", "10", "--"]);
        // With -p it is forwarded twice and may arrive after the program unblocked it and said "ready".
        Assert.DoesNotContain("sig", string.Concat(run.ReadUntil("sig 10")));
        Assert.Equal(0, run.WaitForExit());
    }

    public static TheoryData<InitMode, string[], string, string> MaskCases => new()
    {
        { InitMode.Plain, ["-b", "12", "-i", "1"], "0000000000000800", "0000000000000001" },
        { InitMode.Unshare, ["-b", "12", "-i", "1"], "0000000000000800", "0000000000000001" },
        { InitMode.PidFlag, ["-b", "12", "-i", "1"], "0000000000000800", "0000000000000001" },
        { InitMode.Plain, [], "0000000000000000", "0000000000000000" },
        { InitMode.PidFlag, [], "0000000000000000", "0000000000000000" },
        { InitMode.Plain, ["-b", "15", "-b", "20", "-i", "2", "-i", "3", "-i", "21", "-b", "40"], "0000008000084000", "0000000000100006" },

        // The runtime sets SIGPIPE to ignored before Main; pid1's ELF constructor looked first, so the program
        // gets SIGPIPE ignored exactly when pid1's caller ignored it (and its default action otherwise, above).
        { InitMode.Plain, ["-i", "13"], "0000000000000000", "0000000000001000" },
        { InitMode.Unshare, ["-i", "13"], "0000000000000000", "0000000000001000" },
        { InitMode.PidFlag, ["-i", "13"], "0000000000000000", "0000000000001000" },
    };

    [Theory]
    [MemberData(nameof(MaskCases))]
    public void Mask_ProgramGetsExactlyTheBlockedAndIgnoredSignalsPid1Inherited(InitMode mode, string[] callerState, string sigBlk, string sigIgn)
    {
        using InitRun run = InitRun.Start(mode, ["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"], wrapper: [Native.Helper("sigwrap"), .. callerState, "--"]);
        Assert.Equal($"SigBlk:\t{sigBlk}", run.ReadLine());
        Assert.Equal($"SigIgn:\t{sigIgn}", run.ReadLine());
        Assert.Equal(0, run.WaitForExit());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void KillGroup_SignalReachesAGrandchildInTheProgramsGroup(InitMode mode)
    {
        // sh's background job stays in sh's group: with -g it gets SIGUSR1 too, and sh dies of it.
        using InitRun run = InitRun.Start(mode, ["-g", "sh", "-c", "\"$0\" -p -x 10 & wait", Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        run.Signal(10);
        Assert.Equal("sig 10", run.ReadLine());
        Assert.Equal(128 + 10, run.WaitForExit());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Rewrite_MapsOneSignalAndDropsAnother(InitMode mode)
    {
        using InitRun run = InitRun.Start(mode, ["--rewrite", "USR1:USR2", "--rewrite", "HUP:0", Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        run.Signal(10);
        Assert.Equal("sig 12", run.ReadLine());

        // A forwarded SIGHUP would reach the program before the later SIGWINCH.
        run.Signal(1);
        run.Signal(28);
        Assert.Equal("sig 28", run.ReadLine());
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
    }

    [Fact]
    public void Threads_Pid1IsOneThread_WhichBlocksExactlyTheWaitedSignals()
    {
        // The runtime's finalizer thread is never started (src/Pid1/Native/one-thread.c): pid1 is one thread.
        // Its mask is set in C before the runtime starts (src/Pid1/Native/early-signals.c) and must be
        // Signals.FillWaited's set: the forwardable signals and SIGCHLD, no more and no less (pid1 was started
        // with nothing blocked), and never the runtime's own signal, which suspends threads for the GC.
        using InitRun run = InitRun.Start(InitMode.Plain, [Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        int runtimeSignal = RuntimeSignal(run.Pid1Pid);
        ulong waited = Forwardable(runtimeSignal).Append(17).Aggregate(0UL, (set, s) => set | (1UL << (s - 1)));

        // The program can print before pid1 is back from posix_spawn: wait until it waits for signals, the state
        // it keeps for the program's whole life.
        Proc.WaitFor(() => MainThreadSyscall(run.Pid1Pid), call => call is "7" or "128", "pid1 waiting for signals");
        Assert.Equal([run.Pid1Pid.ToString(CultureInfo.InvariantCulture)], System.IO.Directory.GetDirectories($"/proc/{run.Pid1Pid}/task").Select(Path.GetFileName));

        // sigtimedwait(2) unblocks the waited set while it waits (the kernel keeps the real mask aside): stop
        // pid1 to see its real mask. SIGSTOP cannot be blocked or caught; sigtimedwait returns, the mask is
        // restored, and pid1 stops before it runs again.
        Native.Kill(run.Pid1Pid, 19);
        Proc.WaitFor(() => Proc.State(run.Pid1Pid), state => state == 'T', "pid1 stopped");
        ulong blocked = System.Convert.ToUInt64(Proc.StatusField(run.Pid1Pid, "SigBlk"), 16);
        Assert.True(blocked == waited, $"SigBlk {blocked:x16}, expected {waited:x16}");
        Assert.True((blocked & (1UL << (runtimeSignal - 1))) == 0, $"SigBlk {blocked:x16} blocks the runtime's signal {runtimeSignal}");

        // Continued, pid1 takes the pending SIGCONT like any other signal and forwards it.
        Native.Kill(run.Pid1Pid, 18);
        Assert.Equal("sig 18", run.ReadLine());
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
    }

    private static string MainThreadSyscall(int pid) =>
        File.ReadAllText($"/proc/{pid}/task/{pid}/syscall").Split(' ')[0];

    [Fact]
    public async Task Startup_SigtermWhileTheRuntimeStarts_IsForwardedAndPid1Survives()
    {
        // The runtime reads /sys/devices/system/cpu/possible as it starts, before Main. In a mount namespace of
        // its own a FIFO stands in for that file, so pid1 waits inside the runtime's start-up until the test has
        // sent SIGTERM: opening the FIFO's writing end returns only once pid1 has opened it for reading.
        string dir = Directory.CreateTempSubdirectory("pid1-early-signal-").FullName;
        string fifo = Path.Combine(dir, "possible");
        byte[] possible = System.Text.Encoding.ASCII.GetBytes(File.ReadAllText("/sys/devices/system/cpu/possible"));
        Assert.Equal(0, Pid1Binary.RunCommand("mkfifo", fifo).ExitCode);
        using var stop = new CancellationTokenSource();
        try
        {
            using InitRun run = InitRun.Start(
                InitMode.Plain,
                ["-vv", "sleep", "1000"],
                wrapper: ["unshare", "-m", "sh", "-c", "mount --bind \"$0\" /sys/devices/system/cpu/possible && exec \"$@\"", fifo]);
            Task<FileStream> first = Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write));
            FileStream? opened = await Task.WhenAny(first, Task.Delay(TimeSpan.FromSeconds(60))) == first ? await first : null;
            Assert.True(opened is not null, "pid1's runtime did not open /sys/devices/system/cpu/possible at start:\n" + run.Stderr);
            Assert.Equal("pid1", Proc.Comm(run.Pid1Pid));
            run.Signal(15);
            Serve(opened, possible);

            // The runtime reads the file again later: every further open gets the same content.
            Task server = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Serve(new FileStream(fifo, FileMode.Open, FileAccess.Write), possible);
                }
            });

            // Not fatal: pid1 goes on, starts the program and forwards the signal that waited for it.
            Assert.Equal(128 + 15, run.WaitForExit());
            string[] lines = run.Stderr.TrimEnd('\n').Split('\n');
            Assert.Matches(@"^pid1: started sleep as pid \d+$", lines[0]);
            Assert.Contains(lines, l => Regex.IsMatch(l, @"^pid1: forwarded SIGTERM to \d+$"));

            // Opening both ends never waits, and it releases the server if it waits for a reader.
            stop.Cancel();
            using (new FileStream(fifo, FileMode.Open, FileAccess.ReadWrite))
            {
                await server;
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Serve(FileStream writer, byte[] content)
    {
        try
        {
            using (writer)
            {
                writer.Write(content);
            }
        }
        catch (IOException)
        {
            // The reader went away first (EPIPE): it had what it needed.
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Idle_AfterReleasingItsReadOnlyPages_Pid1StillForwardsAndReaps(InitMode mode)
    {
        // Once the program ran a while with no signal, pid1 unmaps its code and read-only data to shrink its
        // RSS; what the supervisor runs next must come back from the binary intact.
        using InitRun run = InitRun.Start(mode, ["-vv", Native.Helper("sigtrap")]);
        Assert.Equal("ready", run.ReadLine());
        Proc.WaitFor(() => run.Stderr, e => e.Contains("pid1: idle: released "), "pid1 to release its read-only pages");
        run.Signal(10);
        Assert.Equal("sig 10", run.ReadLine());
        run.CloseStdin();
        Assert.Equal(0, run.WaitForExit());
        Assert.Matches(@"pid1: idle: released [1-9]\d* KiB of pid1's read-only pages\n", run.Stderr);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Threads_SignalsDuringAnOrphanStorm_AreAllForwardedAndNoneKillsPid1(InitMode mode)
    {
        // While pid1 reaps, it is not in sigtimedwait: a signal sent then must stay pending until it waits again,
        // on every thread pid1 has (before the fix, its finalizer thread took the first SIGUSR1 and pid1 died).
        using InitRun run = InitRun.Start(mode, ["-g", "sh", "-c", "\"$0\" -p -x 15 & \"$1\" 1500 >/dev/null; wait", Native.Helper("sigtrap"), Native.Helper("orphans")]);
        Assert.Equal("ready", run.ReadLine());
        for (int i = 0; i < 200; i++)
        {
            run.Signal(28);
            Assert.Equal("sig 28", run.ReadLine());
        }

        run.Signal(15);
        Assert.Equal("sig 15", run.ReadLine());
        Assert.Equal(128 + 15, run.WaitForExit());
    }
}
