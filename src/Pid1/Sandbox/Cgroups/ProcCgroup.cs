using System;
using System.Collections.Generic;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>
/// One line of /proc/PID/cgroup, "ID:CONTROLLERS:PATH": the hierarchy's controllers ("cpu,cpuacct",
/// "name=systemd"; empty on cgroup v2's line "0::PATH") and the process's cgroup in that hierarchy.
/// </summary>
internal sealed record CgroupMembership(string Controllers, string Path)
{
    /// <summary>cgroup v2's line: the only one without controllers (a v1 hierarchy has at least a name=).</summary>
    public bool IsUnified => Controllers.Length == 0;

    public bool Has(string controller) => Array.IndexOf(Controllers.Split(','), controller) >= 0;

    public override string ToString() => $"{(IsUnified ? "cgroup2" : Controllers)}:{Path}";
}

/// <summary>The one reader of /proc/PID/cgroup (v1, v2 and hybrid hosts list one line per hierarchy).</summary>
internal static class ProcCgroup
{
    /// <summary>Every hierarchy the process is in; a SetupException naming the file when it cannot be read.</summary>
    public static CgroupMembership[] Read(int pid) => Parse(Files.ReadText(FileOf(pid)));

    /// <summary>As <see cref="Read"/>, but none when the process is gone.</summary>
    public static CgroupMembership[] ReadIfPresent(int pid) =>
        Files.ReadTextIfPresent(FileOf(pid)) is string text ? Parse(text) : [];

    /// <summary>Lines that are not "ID:CONTROLLERS:PATH" are skipped; the path may itself contain ':'.</summary>
    public static CgroupMembership[] Parse(string text)
    {
        var memberships = new List<CgroupMembership>();
        foreach (string line in Files.Lines(text))
        {
            string[] fields = line.Split(':', 3);
            if (fields.Length == 3)
            {
                memberships.Add(new CgroupMembership(fields[1], fields[2]));
            }
        }

        return memberships.ToArray();
    }

    /// <summary>The cgroup v2 path, "/" when the process is in the root or v2 is not listed.</summary>
    public static string Unified(CgroupMembership[] memberships) =>
        Array.Find(memberships, m => m.IsUnified)?.Path ?? "/";

    /// <summary>The path in the v1 hierarchy holding <paramref name="controller"/>, "/" when there is none.</summary>
    public static string Of(CgroupMembership[] memberships, string controller) =>
        Array.Find(memberships, m => m.Has(controller))?.Path ?? "/";

    private static string FileOf(int pid) => $"/proc/{pid}/cgroup";
}
