using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Pid1.Lifecycle;

/// <summary>`pid1 list [--json]`: the live sandboxes, like ps; stale entries are removed, never shown.</summary>
internal static class ListCommand
{
    private static readonly string[] Header = ["NAME", "PID", "STATUS", "UPTIME", "PIDNS", "CGROUP", "COMMAND"];

    public static int Run(ReadOnlySpan<string> args)
    {
        bool json = args.Length == 1 && args[0] == "--json";
        if (args.Length > 1 || (args.Length == 1 && !json))
        {
            throw Commands.Usage("list [--json]");
        }

        List<SandboxState> sandboxes = StateStore.All();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Output.Stdout(json ? Json(sandboxes, now) : Table(sandboxes, now));
        return 0;
    }

    public static string Table(IReadOnlyList<SandboxState> sandboxes, long now)
    {
        var rows = new List<string[]> { Header };
        foreach (SandboxState s in sandboxes)
        {
            rows.Add([s.Name, Number(s.Pid), Status(s), Uptime(now - s.Started), Number(s.PidNamespace), CgroupOf(s), s.Command]);
        }

        var widths = new int[Header.Length];
        foreach (string[] row in rows)
        {
            for (int c = 0; c < widths.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length - 1; c++)
            {
                text.Append(row[c].PadRight(widths[c] + 2));
            }

            text.Append(row[^1]).Append('\n');
        }

        return text.ToString();
    }

    public static string Json(IReadOnlyList<SandboxState> sandboxes, long now)
    {
        var json = new StringBuilder("[");
        foreach (SandboxState s in sandboxes)
        {
            json.Append(json.Length == 1 ? "{" : ",{");
            json.Append("\"name\":");
            Lifecycle.Json.String(json, s.Name);
            Lifecycle.Json.Property(json, "pid", s.Pid);
            Lifecycle.Json.Property(json, "child", s.Child);
            Lifecycle.Json.Property(json, "status", Status(s));
            Lifecycle.Json.Property(json, "uptime", (now - s.Started) / 1000);
            Lifecycle.Json.Property(json, "session", s.Session);
            Lifecycle.Json.Property(json, "pidns", (long)s.PidNamespace);
            Lifecycle.Json.Property(json, "cgroup", s.Cgroup);
            Lifecycle.Json.Property(json, "command", s.Command);
            json.Append('}');
        }

        return json.Append("]\n").ToString();
    }

    /// <summary>"starting" until the program was exec'd, "frozen" while checkpointed, else "running".</summary>
    private static string Status(SandboxState s) =>
        s.Child == 0 ? "starting" : Freezer.IsFrozen(s) ? "frozen" : "running";

    /// <summary>The sandbox's own cgroup: v2 path, else the v1 freezer path, else "-".</summary>
    private static string CgroupOf(SandboxState s) => s.Cgroup != "/" ? s.Cgroup : s.Freezer != "/" ? s.Freezer : "-";

    /// <summary>"42s", "5m03s", "2h07m", "3d04h".</summary>
    public static string Uptime(long milliseconds)
    {
        long s = Math.Max(0, milliseconds / 1000);
        return s switch
        {
            < 60 => $"{s}s",
            < 3600 => $"{s / 60}m{s % 60:00}s",
            < 86400 => $"{s / 3600}h{s / 60 % 60:00}m",
            _ => $"{s / 86400}d{s / 3600 % 24:00}h",
        };
    }

    private static string Number(long value) => value == 0 ? "-" : value.ToString(CultureInfo.InvariantCulture);

    private static string Number(ulong value) => value == 0 ? "-" : value.ToString(CultureInfo.InvariantCulture);
}
