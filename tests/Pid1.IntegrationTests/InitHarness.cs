using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Pid1.IntegrationTests;

/// <summary>How a test runs pid1: as a plain process, as PID 1 under unshare(1), or with its own -p.</summary>
public enum InitMode
{
    Plain,
    Unshare,
    PidFlag,
}

/// <summary>
/// A running pid1 for the init tests: the process to signal (pid1 itself, even under unshare), the process
/// that reaps orphans (pid1, or its inner init with -p), line-by-line stdout and stdin.
/// </summary>
public sealed class InitRun : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly List<string> stderr = [];

    private InitRun(Process process, InitMode mode)
    {
        Process = process;
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.Add(e.Data);
                }
            }
        };
        Process.BeginErrorReadLine();
        Pid1Pid = mode == InitMode.Unshare ? WaitForChild(process.Id, "pid1") : process.Id;
        InitPid = mode == InitMode.PidFlag ? WaitForChild(Pid1Pid, "pid1") : Pid1Pid;
    }

    public Process Process { get; }

    /// <summary>The pid (in the test's namespace) of the pid1 a user would signal.</summary>
    public int Pid1Pid { get; }

    /// <summary>The init that reaps the program's orphans: pid1, or with -p its clone that is PID 1 inside.</summary>
    public int InitPid { get; }

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return string.Concat(stderr.Select(l => l + "\n"));
            }
        }
    }

    /// <summary>Starts [unshare -fp --mount-proc] [WRAPPER...] pid1 [-p] ARGS.</summary>
    public static InitRun Start(InitMode mode, string[] args, string[]? wrapper = null, Action<ProcessStartInfo>? configure = null)
    {
        var command = new List<string>();
        if (mode == InitMode.Unshare)
        {
            command.AddRange(["unshare", "-fp", "--mount-proc"]);
        }

        command.AddRange(wrapper ?? []);
        command.Add(Pid1Binary.Path);
        if (mode == InitMode.PidFlag)
        {
            command.Add("-p");
        }

        command.AddRange(args);
        Process process = Pid1Binary.Start(command[0], command.Skip(1).ToArray(), configure);
        return new InitRun(process, mode);
    }

    public string ReadLine() => ReadLineOrNull(Process) ?? throw new EndOfStreamException("pid1's stdout closed; stderr:\n" + Stderr);

    /// <summary>The next line of <paramref name="process"/>'s stdout without a trailing CR; EndOfStreamException at its end.</summary>
    public static string ReadLine(Process process) => ReadLineOrNull(process) ?? throw new EndOfStreamException();

    private static string? ReadLineOrNull(Process process)
    {
        var read = process.StandardOutput.ReadLineAsync();
        return read.Wait(Patience) ? read.Result?.TrimEnd('\r') : throw new TimeoutException("no line within a minute");
    }

    /// <summary>Reads lines until one equals <paramref name="expected"/>; returns the lines before it.</summary>
    public List<string> ReadUntil(string expected)
    {
        var before = new List<string>();
        for (string line = ReadLine(); line != expected; line = ReadLine())
        {
            before.Add(line);
        }

        return before;
    }

    public void Signal(int signal) =>
        Native.Kill(Pid1Pid != 0 ? Pid1Pid : throw new InvalidOperationException("pid1 had already exited when the run started"), signal);

    public void CloseStdin() => Process.StandardInput.Close();

    /// <summary>Waits for pid1 (or unshare) to exit; returns its exit code.</summary>
    public int WaitForExit()
    {
        if (!Process.WaitForExit(Patience))
        {
            throw new TimeoutException("pid1 did not exit; stderr:\n" + Stderr);
        }

        Process.WaitForExit();
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        Process.Dispose();
    }

    /// <summary>
    /// Polls until the single child of <paramref name="parent"/> has exec'd <paramref name="comm"/>; 0 when the
    /// parent ended first (a short program: `unshare -fp … pid1 grep …` can be over before the first look).
    /// </summary>
    private static int WaitForChild(int parent, string comm) =>
        parent == 0 ? 0 : Proc.WaitFor(
            () => Proc.Children(parent).FirstOrDefault(c => Proc.Comm(c) == comm) is int child and not 0 ? child : Proc.IsAlive(parent) ? 0 : -1,
            c => c != 0,
            $"a {comm} child of {parent}") is int found and > 0 ? found : 0;
}

/// <summary>kill(2) for the tests, and the small C programs the init tests run under pid1.</summary>
public static class Native
{
    private static readonly Lazy<string> HelperDir = new(CompileHelpers);

    public static void Kill(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The path of a helper compiled from tests/Pid1.IntegrationTests/InitHelpers/NAME.c.</summary>
    public static string Helper(string name) => Path.Combine(HelperDir.Value, name);

    private static string CompileHelpers()
    {
        string sources = Path.Combine(Pid1Binary.RepoRoot, "tests", "Pid1.IntegrationTests", "InitHelpers");
        string dir = Path.Combine(Pid1Binary.OutDir, "init-helpers");
        Directory.CreateDirectory(dir);
        foreach (string source in Directory.GetFiles(sources, "*.c"))
        {
            string binary = Path.Combine(dir, Path.GetFileNameWithoutExtension(source));
            RunResult r = Pid1Binary.RunCommand("gcc", "-O2", "-Wall", "-Werror", "-o", binary, source);
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException($"gcc {source}: {r}");
            }
        }

        return dir;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
