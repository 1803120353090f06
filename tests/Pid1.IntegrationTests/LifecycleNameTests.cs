using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>--name, /run/pid1/NAME, --status-fd and `pid1 list`.</summary>
public sealed class LifecycleNameTests : IDisposable
{
    private readonly LifecycleSandboxes sandboxes = new();

    public void Dispose() => sandboxes.Dispose();

    /// <summary>pid1 --status-fd 3 --name NAME ARGS… with fd 3 on the returned process's stdout.</summary>
    public static Process StartWithStatus(string name, params string[] args) =>
        Pid1Binary.Start("/bin/sh", ["-c", "exec \"$@\" 3>&1 >/dev/null", "sh", Pid1Binary.Path, "--status-fd", "3", "--name", name, .. args]);

    public static JsonElement ReadEvent(Process process) =>
        JsonDocument.Parse(process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("no status event")).RootElement;

    [Fact]
    public void StatusFd_StartedThenExited_AsJsonLines()
    {
        string name = sandboxes.NewName("status");
        using Process p = StartWithStatus(name, "-p", "/bin/sh", "-c", "read x; exit 3");
        JsonElement started = ReadEvent(p);
        Assert.Equal("started", started.GetProperty("event").GetString());
        Assert.Equal(name, started.GetProperty("name").GetString());
        Assert.Equal(p.Id, started.GetProperty("pid1").GetInt32());
        int child = started.GetProperty("pid").GetInt32();
        Assert.Equal($"pid:[{started.GetProperty("namespaces").GetProperty("pid").GetUInt64()}]", Proc.PidNamespace(child));
        Assert.StartsWith("/", started.GetProperty("cgroup").GetString());

        p.StandardInput.WriteLine("go");
        JsonElement exited = ReadEvent(p);
        Assert.Equal("exited", exited.GetProperty("event").GetString());
        Assert.Equal(3, exited.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, exited.GetProperty("signal").ValueKind);
        p.WaitForExit();
        Assert.Equal(3, p.ExitCode);
        Assert.Null(p.StandardOutput.ReadLine());
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
    }

    [Fact]
    public void StatusFd_NotOpen_Gives125()
    {
        RunResult r = Pid1Binary.Run("--status-fd", "57", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("option '--status-fd': fd 57 is not open", r.Stderr);
    }

    [Fact]
    public void List_ShowsNamePidStatusPidnsAndCommand()
    {
        string name = sandboxes.NewName("list");
        int pid = sandboxes.Detach(name, "-fp", "--mount-proc", "sleep", "2201");
        JsonElement entry = LifecycleSandboxes.Entry(name)!.Value;
        Assert.Equal(pid, entry.GetProperty("pid").GetInt32());
        Assert.Equal($"pid:[{entry.GetProperty("pidns").GetUInt64()}]", Proc.PidNamespace(entry.GetProperty("child").GetInt32()));
        Assert.Equal("sleep 2201", entry.GetProperty("command").GetString());

        RunResult table = Pid1Binary.Run("list");
        Assert.StartsWith("NAME", table.Stdout);
        string row = Array.Find(table.Stdout.Split('\n'), l => l.StartsWith(name + " ", StringComparison.Ordinal))!;
        Assert.Matches($@"^{name}\s+{pid}\s+running\s+\d+s\s+{entry.GetProperty("pidns").GetUInt64()}\s+-\s+sleep 2201$", row);
    }

    [Fact]
    public void Name_InUse_Gives125NamingTheOwner()
    {
        string name = sandboxes.NewName("dup");
        int pid = sandboxes.Detach(name, "sleep", "2202");
        RunResult r = Pid1Binary.Run("--name", name, "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal($"pid1: name {name} is in use by pid {pid}\n", r.Stderr);
        RunResult detached = Pid1Binary.Run("--detach", "--name", name, "true");
        Assert.Equal(125, detached.ExitCode);
        Assert.True(Proc.IsAlive(pid));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("sp ace")]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789x12345")]
    public void Name_Invalid_Gives125AndCreatesNothing(string name)
    {
        // pid1 runs in a cgroup of the test's own, so a process it left would be listed there, and in a mount
        // namespace of its own with an empty tmpfs on /run, so anything it wrote there (/run/pid1/…) shows in
        // `ls`. --cgroup and --pids-limit would make it create a cgroup of that unique name if it got that far.
        string cgroupName = $"life-badname-{Guid.NewGuid().ToString("N")[..8]}";
        using var cgroup = new LifecycleCgroup(cgroupName);
        RunResult r = Pid1Binary.RunCommand("unshare", "-m", "/bin/sh", "-c",
            "echo $$ > \"$0/cgroup.procs\" && mount -t tmpfs life-run /run && { \"$@\"; code=$?; ls -A /run; exit $code; }",
            cgroup.Path, Pid1Binary.Path, "--name", name, "--cgroup", cgroupName, "--pids-limit", "8", "true");
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains($"option '--name': '{name}'", r.Stderr);
        Assert.Equal(string.Empty, r.Stdout); // nothing under /run
        Assert.Equal(string.Empty, File.ReadAllText(Path.Combine(cgroup.Path, "cgroup.procs")));
        var everyCgroup = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        Assert.Equal([cgroup.Path], Directory.GetDirectories("/sys/fs/cgroup", cgroupName, everyCgroup));
    }

    [Fact]
    public void Name_Pid1Killed_StaleEntryIsCleanedByListNotShown()
    {
        string name = sandboxes.NewName("stale");
        int sleeper;
        using (Process p = StartWithStatus(name, "sleep", "2203"))
        {
            sleeper = ReadEvent(p).GetProperty("pid").GetInt32();
            Assert.True(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
            p.Kill();
            p.WaitForExit();
        }

        LifecycleSandboxes.KillOrphan(sleeper, "sleep 2203");

        // The entry is stale now (another test's `pid1 list` may already have removed it): never listed.
        Assert.Null(LifecycleSandboxes.Entry(name));
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
        Assert.Equal(0, Pid1Binary.Run("--name", name, "true").ExitCode); // the name is free again
    }

    [Fact]
    public void Name_EntryWithReusedPid_IsStale()
    {
        string name = sandboxes.NewName("reused");
        string file = Path.Combine(LifecycleSandboxes.StateDir, name);
        Directory.CreateDirectory(LifecycleSandboxes.StateDir);

        // A live pid (this test process) with a start time it never had: a reused pid, never trusted.
        File.WriteAllText(file, $"name={name}\npid={Environment.ProcessId}\npid-start=1\ncommand=fake\n");
        Assert.Equal(1, Pid1Binary.Run("kill", name).ExitCode);
        Assert.False(File.Exists(file));
        File.WriteAllText(file, "garbage");
        Assert.Null(LifecycleSandboxes.Entry(name));
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Name_ParentKilled_Pid1EndsAndLeavesNoState()
    {
        string name = sandboxes.NewName("parent");
        using Process shell = Pid1Binary.Start("/bin/sh", ["-c", "\"$0\" --name \"$1\" --pdeathsig TERM --status-fd 3 sleep 2204 3>&1 >/dev/null; true", Pid1Binary.Path, name]);
        int pid1 = ReadEvent(shell).GetProperty("pid1").GetInt32();
        shell.Kill();
        shell.WaitForExit();
        Assert.True(Proc.WaitGone(pid1));
        Assert.False(File.Exists(Path.Combine(LifecycleSandboxes.StateDir, name)));
        Assert.Empty(Proc.WithCommandLine("sleep 2204"));
    }

    [Fact]
    public void Subcommand_AfterDoubleDash_IsAProgram()
    {
        RunResult r = Pid1Binary.Run("--", "list");
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("exec list: ENOENT", r.Stderr);
    }
}
