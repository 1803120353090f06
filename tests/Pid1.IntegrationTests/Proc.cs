using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace Pid1.IntegrationTests;

/// <summary>
/// What /proc says about processes, for assertions on what a user would see. A process that is gone (or
/// goes while it is read) reads as empty: no children, no command line, state '\0'.
/// </summary>
public static class Proc
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static int[] Children(int pid)
    {
        try
        {
            return Directory.GetDirectories($"/proc/{pid}/task")
                .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Select(int.Parse)
                .ToArray();
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static string Comm(int pid) => ReadOrEmpty($"/proc/{pid}/comm").Trim();

    /// <summary>The arguments joined by spaces ("sleep 1234").</summary>
    public static string CommandLine(int pid) => ReadOrEmpty($"/proc/{pid}/cmdline").Replace('\0', ' ');

    /// <summary>The state letter of /proc/PID/stat (R, S, T, Z...), or '\0' when the process is gone.</summary>
    public static char State(int pid) => StatFields(pid) is { Length: > 0 } f ? f[0][0] : '\0';

    /// <summary>Running or sleeping or stopped: neither gone nor a zombie.</summary>
    public static bool IsAlive(int pid) => State(pid) is not '\0' and not 'Z' and not 'X';

    public static int Session(int pid) => StatNumber(pid, 3);

    public static string StatusField(int pid, string name) =>
        File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Substring(name.Length + 1).Trim();

    public static string PidNamespace(int pid) => new FileInfo($"/proc/{pid}/ns/pid").LinkTarget!;

    /// <summary>The live pids whose command line starts with <paramref name="prefix"/> (e.g. "sleep 1234").</summary>
    public static int[] WithCommandLine(string prefix) =>
        All().Where(pid => CommandLine(pid).StartsWith(prefix, StringComparison.Ordinal) && IsAlive(pid)).ToArray();

    /// <summary>Every live process whose /proc/PID/ns/pid is <paramref name="link"/> ("pid:[4026532189]").</summary>
    public static int[] InPidNamespace(string link) =>
        All().Where(pid => IsAlive(pid) && LinkOrEmpty($"/proc/{pid}/ns/pid") == link).ToArray();

    /// <summary>Polls <paramref name="probe"/> (every few ms, up to a minute) until <paramref name="done"/> holds.</summary>
    public static T WaitFor<T>(Func<T> probe, Func<T, bool> done, string what)
    {
        T value = default!;
        return Poll(() => done(value = probe()), Patience) ? value : throw new TimeoutException($"waited a minute for {what}; last: {value}");
    }

    /// <summary>Waits (up to <paramref name="seconds"/>) for a process that is not the test's child to end.</summary>
    public static bool WaitGone(int pid, int seconds = 10) => Poll(() => !IsAlive(pid), TimeSpan.FromSeconds(seconds));

    private static bool Poll(Func<bool> done, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > patience)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    /// <summary>The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, tty, tpgid...</summary>
    private static string[] StatFields(int pid)
    {
        string stat = ReadOrEmpty($"/proc/{pid}/stat");
        return stat.Length == 0 ? [] : stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
    }

    private static int StatNumber(int pid, int field) =>
        StatFields(pid) is { Length: > 0 } f ? int.Parse(f[field]) : throw new InvalidOperationException($"process {pid} is gone");

    private static int[] All() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
            .Where(pid => pid > 0)
            .ToArray();

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static string LinkOrEmpty(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget ?? string.Empty;
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
