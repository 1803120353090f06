using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>
/// Starts named sandboxes for the lifecycle tests and stops whatever a test leaves running. Names are
/// unique ("life-…"), so test classes running in parallel never meet.
/// </summary>
public sealed class LifecycleSandboxes : IDisposable
{
    private readonly List<string> names = [];
    private readonly List<Process> strays = [];
    private readonly List<string> fifos = [];

    public static string StateDir => "/run/pid1";

    public string NewName(string what) => Track($"life-{what}-{Guid.NewGuid().ToString("N")[..8]}");

    public string Track(string name)
    {
        names.Add(name);
        return name;
    }

    /// <summary>
    /// A FIFO a sandboxed shell writes "ready" to once its traps and children are in place (pid1 reports
    /// "started" at the shell's exec, before it ran a line). Read it with <see cref="WaitReady"/>.
    /// </summary>
    public string ReadyFifo()
    {
        string path = Path.Combine(Path.GetTempPath(), $"life-ready-{Guid.NewGuid():N}");
        Assert.Equal(0, Pid1Binary.RunCommand("mkfifo", path).ExitCode);
        fifos.Add(path);
        return path;
    }

    /// <summary>Blocks until the sandbox wrote its line ("ready", or pids) and closed the FIFO; returns the line.</summary>
    public static string WaitReady(string fifo) => File.ReadAllText(fifo).Trim();

    /// <summary>Kills, when the test ends, a process the test started outside pid1's control.</summary>
    public void Stray(Process process) => strays.Add(process);

    /// <summary>Kills an orphan now, after checking it still runs <paramref name="commandLine"/> (not a reused pid).</summary>
    public static void KillOrphan(int pid, string commandLine)
    {
        if (Proc.CommandLine(pid).StartsWith(commandLine, StringComparison.Ordinal))
        {
            Pid1Binary.RunCommand("kill", "-KILL", pid.ToString());
        }
    }

    /// <summary>`pid1 --detach --name NAME ARGS…`: asserts it printed "NAME PID" and exited 0; returns the pid.</summary>
    public int Detach(string name, params string[] args)
    {
        RunResult r = Pid1Binary.Run(["--detach", "--name", name, .. args]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] words = r.Stdout.Trim().Split(' ');
        Assert.Equal(2, words.Length);
        Assert.Equal(name, words[0]);
        return int.Parse(words[1]);
    }

    public static JsonElement[] List()
    {
        RunResult r = Pid1Binary.Run("list", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().ToArray();
    }

    public static JsonElement? Entry(string name) =>
        List().Cast<JsonElement?>().FirstOrDefault(e => e!.Value.GetProperty("name").GetString() == name);

    public void Dispose()
    {
        foreach (string name in names)
        {
            Pid1Binary.Run("stop", name, "--grace", "1");
        }

        foreach (string fifo in fifos)
        {
            File.Delete(fifo);
        }

        // The test's own children: Process knows when they exited, so a reused pid is never killed. Not
        // Kill(entireProcessTree): that walks children of the pid *number*, which may belong to another test by now.
        foreach (Process process in strays)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.WaitForExit();
            process.Dispose();
        }
    }
}

/// <summary>A cgroup of the test's own that the freezer can freeze: v2 when the host is v2-only, else v1 freezer.</summary>
public sealed class LifecycleCgroup : IDisposable
{
    public LifecycleCgroup(string name)
    {
        Path = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? $"/sys/fs/cgroup/{name}" : $"/sys/fs/cgroup/freezer/{name}";
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The cgroup as /proc/PID/cgroup names it ("/life-…").</summary>
    public string Relative => "/" + System.IO.Path.GetFileName(Path);

    /// <summary>Runs `pid1 ARGS…` from a shell that first moved itself into this cgroup.</summary>
    public RunResult RunPid1Inside(params string[] args) =>
        Pid1Binary.RunCommand("/bin/sh", ["-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", Path, Pid1Binary.Path, .. args]);

    public void Dispose()
    {
        // Whatever is left (the test failed early) is killed; an empty cgroup can then be removed.
        foreach (string pid in File.ReadAllLines(System.IO.Path.Combine(Path, "cgroup.procs")))
        {
            Pid1Binary.RunCommand("kill", "-KILL", pid);
        }

        for (int i = 0; i < 100 && File.ReadAllText(System.IO.Path.Combine(Path, "cgroup.procs")).Length > 0; i++)
        {
            Thread.Sleep(20);
        }

        Directory.Delete(Path);
    }
}
