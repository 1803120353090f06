using System;
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
        return new ResolvedIdentity(
            "the sandbox's user",
            ToInner(pid, "uid_map", uid),
            ToInner(pid, "gid_map", gid),
            Array.ConvertAll(groups, g => ToInner(pid, "gid_map", g)));
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

    private static uint Number(string text) => uint.Parse(text, CultureInfo.InvariantCulture);
}
