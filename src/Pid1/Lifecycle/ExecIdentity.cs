using System;
using System.Collections.Generic;
using System.Globalization;
using Pid1.Native;
using Pid1.Sandbox;

namespace Pid1.Lifecycle;

/// <summary>
/// Who a command run by `pid1 exec` becomes: by default the sandbox program's own ids (from
/// /proc/PID/status, translated into its user namespace), or --user NAME|UID[:GROUP|GID] resolved as pid1's
/// own --user is, in the sandbox's /etc/passwd and /etc/group (inside its root, never the host's files).
/// </summary>
internal static class ExecIdentity
{
    public static ResolvedIdentity Resolve(int program, string root, string? user) =>
        user is null ? OfProcess(program) : Identity.ResolveUser(user, null, root, relative => RootFile.ReadIfExists(root, relative));

    private static ResolvedIdentity OfProcess(int pid)
    {
        string[] status = Files.Lines(Files.ReadText($"/proc/{pid}/status"));
        uint uid = Field(status, "Uid:", 1);
        uint gid = Field(status, "Gid:", 1);
        uint[] groups = Array.Find(status, l => l.StartsWith("Groups:", StringComparison.Ordinal)) is string line
            ? Array.ConvertAll(line.Substring(7).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries), Number)
            : [];
        IdMap[] gids = ReadMap(pid, "gid_map");
        return new ResolvedIdentity(
            "the sandbox's user",
            ToInner(ReadMap(pid, "uid_map"), uid),
            ToInner(gids, gid),
            Array.ConvertAll(groups, g => ToInner(gids, g)));
    }

    /// <summary>The lines of /proc/PID/uid_map or gid_map ("INNER OUTER COUNT"), read once for every id.</summary>
    private static IdMap[] ReadMap(int pid, string map)
    {
        var maps = new List<IdMap>();
        foreach (string line in Files.Lines(Files.ReadText($"/proc/{pid}/{map}")))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3)
            {
                maps.Add(new IdMap(Number(f[0]), Number(f[1]), Number(f[2])));
            }
        }

        return maps.ToArray();
    }

    /// <summary>Maps a host id to the id inside the process's user namespace (identity without one).</summary>
    private static uint ToInner(IdMap[] maps, uint id) =>
        Array.Find(maps, m => id >= m.Outer && id - m.Outer < m.Count) is IdMap m ? id - m.Outer + m.Inner : id;

    private static uint Field(string[] status, string key, int index) =>
        Number(Array.Find(status, l => l.StartsWith(key, StringComparison.Ordinal))!.Substring(key.Length).Split('\t', StringSplitOptions.RemoveEmptyEntries)[index - 1]);

    private static uint Number(string text) => uint.Parse(text, CultureInfo.InvariantCulture);
}
