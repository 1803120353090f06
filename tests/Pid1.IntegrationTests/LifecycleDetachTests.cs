using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>--detach and --name: the seed's "nohup in a pid namespace dies with the terminal", fixed.</summary>
public sealed class LifecycleDetachTests : IDisposable
{
    private readonly LifecycleSandboxes sandboxes = new();

    public void Dispose() => sandboxes.Dispose();

    [Fact]
    public void Detach_LaunchingSessionGetsHangup_ProgramSurvivesInItsOwnSession()
    {
        string name = sandboxes.NewName("hup");

        // The launching shell leads its own session and, right after pid1 returns, hangs up that session.
        RunResult r = Pid1Binary.RunCommand("setsid", "-w", "/bin/sh", "-c",
            "echo $$; \"$0\" --detach --name \"$1\" -fp --mount-proc sleep 2101; kill -HUP 0; echo not reached",
            Pid1Binary.Path, name);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 2, r.ToString());
        int shellSession = int.Parse(lines[0]);
        int pid = int.Parse(lines[1].Split(' ')[1]);
        Assert.Equal(128 + 1, r.ExitCode); // the shell died of its own SIGHUP

        Assert.True(Proc.IsAlive(pid));
        Assert.Equal(pid, Proc.Session(pid));
        Assert.NotEqual(shellSession, Proc.Session(pid));
        int sleeper = Assert.Single(Proc.WithCommandLine("sleep 2101"));
        Assert.Equal(pid, Proc.Session(sleeper));
        Assert.NotEqual(Proc.PidNamespace(pid), Proc.PidNamespace(sleeper));
        Assert.Equal("running", LifecycleSandboxes.Entry(name)!.Value.GetProperty("status").GetString());
    }

    [Fact]
    public void Detach_StdioGoesToTheLogFile_Appended()
    {
        string name = sandboxes.NewName("log");
        string log = Path.Combine(Path.GetTempPath(), name + ".log");
        File.WriteAllText(log, "before\n");
        try
        {
            string fifo = sandboxes.ReadyFifo();
            int pid = sandboxes.Detach(name, "--log", log, "/bin/sh", "-c", $"echo out; echo err >&2; ls -l /proc/self/fd/0; echo ready > {fifo}; exec sleep 2102");
            LifecycleSandboxes.WaitReady(fifo);
            Assert.Equal(0, Pid1Binary.Run("stop", name).ExitCode);
            Assert.False(Proc.IsAlive(pid));
            string text = File.ReadAllText(log);
            Assert.StartsWith("before\nout\nerr\n", text);
            Assert.Contains("-> /dev/null", text);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void Detach_WithoutName_PrintsGeneratedNameAndPid()
    {
        RunResult r = Pid1Binary.Run("--detach", "sleep", "2103");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] words = r.Stdout.Trim().Split(' ');
        sandboxes.Track(words[0]);
        Assert.Equal($"sleep-{words[1]}", words[0]);
        Assert.True(Proc.IsAlive(int.Parse(words[1])));
        Assert.NotNull(LifecycleSandboxes.Entry(words[0]));
    }

    [Theory]
    [InlineData("no-such-program-2104", 127, "exec no-such-program-2104: ENOENT")]
    [InlineData("/etc/passwd", 126, "exec /etc/passwd: EACCES")]
    public void Detach_ProgramCannotStart_RealCodeAndMessageAndNoState(string program, int code, string message)
    {
        string name = sandboxes.NewName("fail");
        RunResult r = Pid1Binary.Run("--detach", "--name", name, "-fp", program);
        Assert.Equal(code, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
        Assert.Contains(message, r.Stderr);
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
    }

    [Fact]
    public void Detach_LauncherKilled_SandboxRunsAndItsStateGoesWithIt()
    {
        string name = sandboxes.NewName("orphan");
        using var launcher = Pid1Binary.Start(Pid1Binary.Path, ["--detach", "--name", name, "sleep", "2105"]);
        launcher.Kill();
        launcher.WaitForExit();

        // Whether or not the kill came before the launcher heard "started", the sandbox is either running
        // with a live entry or never started; after stop, nothing is left in /run/pid1.
        if (Proc.WithCommandLine("sleep 2105").Length > 0 || LifecycleSandboxes.Entry(name) is not null)
        {
            RunResult stop = Pid1Binary.Run("stop", name);
            Assert.True(stop.ExitCode is 0 or 1, stop.ToString());
        }

        Assert.Null(LifecycleSandboxes.Entry(name));
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
        Assert.Empty(Proc.WithCommandLine("sleep 2105"));
    }
}
