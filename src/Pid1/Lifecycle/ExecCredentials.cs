using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Pid1.Native;
using Pid1.Sandbox;

namespace Pid1.Lifecycle;

/// <summary>The user `pid1 exec` runs as, marshalled for the child (no managed memory there).</summary>
internal unsafe struct ExecCredentials
{
    public uint Uid;
    public uint Gid;
    public int GroupCount;
    public uint* Groups;

    /// <summary>False in a user namespace whose setgroups is "deny" (setgroups would fail with EPERM).</summary>
    public bool SetGroups;
}

/// <summary>
/// Who a command run by `pid1 exec` becomes: by default the sandbox program's own ids (from
/// /proc/PID/status, translated into its user namespace), or --user NAME|UID[:GROUP|GID] resolved in the
/// sandbox's /etc/passwd and /etc/group (read through /proc/PID/root, never the host's files).
/// </summary>
internal static class ExecIdentity
{
    public static (uint Uid, uint Gid, uint[] Groups) OfProcess(int pid)
    {
        string[] status = Files.Lines(Files.ReadText($"/proc/{pid}/status"));
        uint uid = Field(status, "Uid:", 1);
        uint gid = Field(status, "Gid:", 1);
        uint[] groups = Array.Find(status, l => l.StartsWith("Groups:", StringComparison.Ordinal)) is string line
            ? Array.ConvertAll(line.Substring(7).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries), Number)
            : [];
        return (ToInner(pid, "uid_map", uid), ToInner(pid, "gid_map", gid), Array.ConvertAll(groups, g => ToInner(pid, "gid_map", g)));
    }

    /// <summary>--user NAME|UID[:GROUP|GID] inside the sandbox root; a name's groups come from its /etc/group.</summary>
    public static (uint Uid, uint Gid, uint[] Groups) Parse(string user, string root)
    {
        string[] parts = user.Split(':', 2);
        string[][] passwd = Table(root, "etc/passwd");
        string[][] group = Table(root, "etc/group");
        string[]? entry = Array.Find(passwd, e => e.Length > 3 && (e[0] == parts[0] || e[2] == parts[0]));
        uint uid = entry is not null ? Number(entry[2]) : TryNumber(parts[0]) ?? throw Unknown("user", parts[0]);
        uint gid = parts.Length == 2
            ? Array.Find(group, g => g.Length > 2 && (g[0] == parts[1] || g[2] == parts[1])) is string[] named ? Number(named[2]) : TryNumber(parts[1]) ?? throw Unknown("group", parts[1])
            : entry is not null ? Number(entry[3]) : uid;
        string? name = entry?[0];
        var groups = new List<uint> { gid };
        foreach (string[] g in group)
        {
            if (name is not null && g.Length > 3 && Array.IndexOf(g[3].Split(','), name) >= 0 && !groups.Contains(Number(g[2])))
            {
                groups.Add(Number(g[2]));
            }
        }

        return (uid, gid, groups.ToArray());
    }

    /// <summary>Maps a host id to the id inside the process's user namespace (identity without one).</summary>
    private static uint ToInner(int pid, string map, uint id)
    {
        foreach (string line in Files.Lines(Files.ReadText($"/proc/{pid}/{map}")))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3 && id >= Number(f[1]) && id - Number(f[1]) < Number(f[2]))
            {
                return id - Number(f[1]) + Number(f[0]);
            }
        }

        return id;
    }

    private static uint Field(string[] status, string key, int index) =>
        Number(Array.Find(status, l => l.StartsWith(key, StringComparison.Ordinal))!.Substring(key.Length).Split('\t', StringSplitOptions.RemoveEmptyEntries)[index - 1]);

    /// <summary>
    /// A colon table of the sandbox's root, resolved inside that root (RESOLVE_IN_ROOT): an absolute symlink
    /// such as etc/passwd → /usr/share/... must not reach the host's file through /proc/PID/root.
    /// </summary>
    private static string[][] Table(string root, string relative) =>
        RootFile.ReadIfExists(root, relative) is string text ? Array.ConvertAll(Files.Lines(text), l => l.Split(':')) : [];

    private static uint Number(string text) => uint.Parse(text, CultureInfo.InvariantCulture);

    private static uint? TryNumber(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) ? n : null;

    private static Native.UsageException Unknown(string what, string name) =>
        new($"exec: option '--user': no {what} '{name}' in the sandbox's /etc/{(what == "user" ? "passwd" : "group")}");
}
