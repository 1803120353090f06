using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
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
    public void Detach_LauncherKilledBeforeTheReport_SandboxRunsAndItsStateGoesWithIt()
    {
        // The moment that matters: the detached pid1 started the program but has not yet reported "started"
        // to its launcher. It writes the --status-fd line just before that report, so a full FIFO on
        // --status-fd holds it there, with the program running and its state written, until the test reads.
        string name = sandboxes.NewName("orphan");
        using var status = new FullFifo(sandboxes.ReadyFifo());
        Process launcher = Pid1Binary.Start("/bin/sh", ["-c", "exec \"$0\" --detach --name \"$1\" --status-fd 3 sleep 2105 3>\"$2\"", Pid1Binary.Path, name, status.Path]);
        sandboxes.Stray(launcher);
        Proc.WaitFor(() => LifecycleSandboxes.Entry(name)?.GetProperty("status").GetString(), s => s == "running", $"{name} running");
        launcher.Kill();
        launcher.WaitForExit();
        Assert.Equal(128 + 9, launcher.ExitCode); // killed while it waited: it never got the report

        // Released, the detached pid1 reports to a pipe nobody reads any more, and must go on regardless: it
        // still answers to its name, ends with its program and writes its last status line.
        int pid1 = JsonDocument.Parse(status.ReadLine()).RootElement.GetProperty("pid1").GetInt32();
        RunResult stop = Pid1Binary.Run("stop", name);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        JsonElement exited = JsonDocument.Parse(status.ReadLine()).RootElement;
        Assert.Equal("exited", exited.GetProperty("event").GetString());
        Assert.Equal(128 + 15, exited.GetProperty("code").GetInt32()); // the program died of the stop's TERM
        Assert.True(Proc.WaitGone(pid1));
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
        Assert.Empty(Proc.WithCommandLine("sleep 2105"));
    }
}
