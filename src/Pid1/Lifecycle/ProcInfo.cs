using System;
using System.Collections.Generic;
using System.Globalization;
using Pid1.Native;
using Pid1.Sandbox.Cgroups;

namespace Pid1.Lifecycle;

/// <summary>The fields of /proc/PID/stat that identify a process across pid reuse and place it in a session.</summary>
/// <remarks>A struct, not a record struct: nothing compares these by value (the tests copy them with 'with', which a struct allows), and the generated Equals and GetHashCode
/// stay in the binary (the boxed type's are virtual) with a comparer per member type.</remarks>
internal readonly struct ProcStat(int Pid, char State, int Parent, int Session, ulong StartTime)
{
    public int Pid { get; init; } = Pid;

    public char State { get; init; } = State;

    public int Parent { get; init; } = Parent;

    public int Session { get; init; } = Session;

    public ulong StartTime { get; init; } = StartTime;

    /// <summary>Zombies and dead entries still have a stat file, but nothing to signal or join.</summary>
    public bool IsAlive => State is not 'Z' and not 'X';
}

/// <summary>Reads what the lifecycle commands need from /proc; every read tolerates the process vanishing.</summary>
internal static class ProcInfo
{
    public static ProcStat? Stat(int pid)
    {
        return Files.ReadTextIfPresent($"/proc/{pid}/stat") is string text ? ParseStat(pid, text) : null;
    }

    /// <summary>
    /// Parses "pid (comm) S ppid pgrp session ... starttime": fields after the last ')' are counted from 3,
    /// because comm may contain spaces and parentheses.
    /// </summary>
    public static ProcStat? ParseStat(int pid, string text)
    {
        int close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        string[] fields = text.Substring(close + 2).Split(' ');
        if (fields.Length < 20 || fields[0].Length != 1)
        {
            return null;
        }

        return new ProcStat(pid, fields[0][0], Int(fields[1]), Int(fields[3]), ulong.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    /// <summary>The same process as when it was first seen: alive, and started at the same boot tick.</summary>
    public static bool IsSame(int pid, ulong startTime) =>
        Stat(pid) is ProcStat s && s.IsAlive && s.StartTime == startTime;

    /// <summary>The inode in /proc/PID/ns/KIND ("pid:[4026531836]"), or 0 when it cannot be read.</summary>
    public static ulong NamespaceInode(int pid, string kind)
    {
        return ParseNamespaceLink(Files.LinkTarget($"/proc/{pid}/ns/{kind}"), kind);
    }

    public static ulong ParseNamespaceLink(string? target, string kind)
    {
        string prefix = kind + ":[";
        if (target is null || !target.StartsWith(prefix, StringComparison.Ordinal) || !target.EndsWith(']'))
        {
            return 0;
        }

        return ulong.TryParse(target.AsSpan(prefix.Length, target.Length - prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode) ? inode : 0;
    }

    /// <summary>The cgroup v2 path ("0::/x") and the v1 freezer path of a process, "/" when in the root.</summary>
    public static (string Unified, string Freezer) Cgroups(int pid)
    {
        CgroupMembership[] memberships = ProcCgroup.ReadIfPresent(pid);
        return (ProcCgroup.Unified(memberships), ProcCgroup.Of(memberships, "freezer"));
    }

    /// <summary>Every pid /proc lists right now, in the caller's pid namespace.</summary>
    public static List<int> AllPids()
    {
        var pids = new List<int>();
        foreach (string dir in Files.List("/proc", directories: true))
        {
            if (int.TryParse(dir, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                pids.Add(pid);
            }
        }

        return pids;
    }

    /// <summary>The children the kernel lists for a process (its main thread's children file).</summary>
    public static List<int> Children(int pid)
    {
        var children = new List<int>();
        string text = Files.ReadTextIfPresent($"/proc/{pid}/task/{pid}/children") ?? string.Empty;
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            children.Add(Int(word));
        }

        return children;
    }

    private static int Int(string text) => int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
