using System;
using System.Collections.Generic;
using System.Globalization;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>One line of /proc/PID/uid_map or gid_map: ids Inner.. inside are Outer.. outside.</summary>
internal sealed record IdMap(uint Inner, uint Outer, uint Count)
{
    public override string ToString() => FormattableString.Invariant($"{Inner} {Outer} {Count}");
}

/// <summary>What the parent writes for a new user namespace while the child waits (DESIGN setup order).</summary>
/// <param name="SetGroups">"allow", "deny" or null to leave /proc/PID/setgroups alone.</param>
/// <param name="Privileged">The caller may write any map itself (root with CAP_SETUID and CAP_SETGID).</param>
/// <remarks>A class, not a record: nothing compares it by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class UserMaps(IReadOnlyList<IdMap> Uids, IReadOnlyList<IdMap> Gids, string? SetGroups, uint CallerUid, uint CallerGid, bool Privileged)
{
    public IReadOnlyList<IdMap> Uids { get; } = Uids;

    public IReadOnlyList<IdMap> Gids { get; } = Gids;

    public string? SetGroups { get; } = SetGroups;

    public uint CallerUid { get; } = CallerUid;

    public uint CallerGid { get; } = CallerGid;

    public bool Privileged { get; } = Privileged;

    /// <summary>True when setgroups(2) will fail inside (the child then keeps its groups instead of failing).</summary>
    public bool SetGroupsDenied => SetGroups == "deny";
}

/// <summary>
/// unshare(1)'s mapping options → uid_map/gid_map lines, and writing them. The parent writes them (a process
/// cannot usefully map itself before it has capabilities there), while the child blocks in WaitForParent.
/// </summary>
internal static unsafe class UserNamespace
{
    /// <summary>Host files the mapping options read: etc/passwd, etc/group, etc/subuid, etc/subgid (null when missing).</summary>
    public delegate string? HostFile(string relative);

    public static UserMaps? Plan(Options o, uint euid, uint egid, HostFile read)
    {
        if ((o.Namespaces & Libc.CLONE_NEWUSER) == 0)
        {
            return null;
        }

        uint? user = o.MapRootUser ? 0 : o.MapCurrentUser ? euid : o.MapUser is string u ? HostId("map-user", u, "etc/passwd", read) : null;
        uint? group = o.MapRootUser ? 0 : o.MapCurrentUser ? egid : o.MapGroup is string g ? HostId("map-group", g, "etc/group", read) : null;
        IdMap? users = Range("map-users", o.MapUsers ?? (o.MapAuto ? "auto" : null), "etc/subuid", euid, read);
        IdMap? groups = Range("map-groups", o.MapGroups ?? (o.MapAuto ? "auto" : null), "etc/subgid", euid, read);

        // As unshare(1): mapping the caller's own group implies "deny", because the kernel lets an unprivileged
        // process write gid_map only after setgroups is denied (else it could drop a group that denies access).
        string? setGroups = o.SetGroups ?? (o.MapRootUser || o.MapCurrentUser || o.MapGroup is not null ? "deny" : null);
        return new UserMaps(Combine(user, euid, users), Combine(group, egid, groups), setGroups, euid, egid, euid == 0);
    }

    /// <summary>
    /// The single map of the caller's id, then the range with a hole where it overlaps (as unshare(1): the
    /// kernel refuses overlapping lines, so the range loses the id on each side and may end one id early).
    /// </summary>
    public static IReadOnlyList<IdMap> Combine(uint? single, uint callerId, IdMap? range)
    {
        var maps = new List<IdMap>();
        if (single is uint inner)
        {
            maps.Add(new IdMap(inner, callerId, 1));
        }

        if (range is null)
        {
            return maps;
        }

        if (single is null)
        {
            maps.Add(range);
            return maps;
        }

        long innerHole = Offset(range.Inner, range.Count, single.Value);
        long outerHole = Offset(range.Outer, range.Count, callerId);
        long length = range.Count - (innerHole >= 0 || outerHole >= 0 ? 1 : 0);
        // The cuts in order, each once: 0, the holes inside the range, the length (no SortedSet: it alone
        // brought System.Collections' tree code into the binary).
        var edges = new List<long> { 0 };
        foreach (long hole in new[] { Math.Min(innerHole, outerHole), Math.Max(innerHole, outerHole) })
        {
            if (hole > 0 && hole < length && hole != edges[^1])
            {
                edges.Add(hole);
            }
        }

        if (length > 0)
        {
            edges.Add(length);
        }

        for (int i = 0; i + 1 < edges.Count; i++)
        {
            long k = edges[i];
            maps.Add(new IdMap(Skip(range.Inner, innerHole, k), Skip(range.Outer, outerHole, k), (uint)(edges[i + 1] - k)));
        }

        return maps;
    }

    /// <summary>inner:outer:count (util-linux ≥ 2.39), outer,inner,count (older unshare) or auto (first subid range).</summary>
    public static IdMap? Range(string option, string? value, string subidFile, uint euid, HostFile read)
    {
        if (value is null)
        {
            return null;
        }

        if (value == "auto")
        {
            return SubIdRange(option, subidFile, euid, read);
        }

        char separator = value.Contains(':') ? ':' : ',';
        uint?[] n = Array.ConvertAll(value.Split(separator), PasswdFile.Id);
        if (n.Length != 3 || Array.Exists(n, x => x is null) || n[2] == 0)
        {
            throw new UsageException($"option '--{option}': '{value}' is not INNER:OUTER:COUNT (or OUTER,INNER,COUNT)");
        }

        return separator == ':' ? new IdMap(n[0]!.Value, n[1]!.Value, n[2]!.Value) : new IdMap(n[1]!.Value, n[0]!.Value, n[2]!.Value);
    }

    /// <summary>The caller's first range in /etc/subuid or /etc/subgid ("name:start:count" or "uid:start:count"), mapped from 0.</summary>
    private static IdMap SubIdRange(string option, string subidFile, uint euid, HostFile read)
    {
        string? name = Array.Find(PasswdFile.ParsePasswd(read("etc/passwd") ?? string.Empty), p => p.Uid == euid)?.Name;
        string uid = euid.ToString(CultureInfo.InvariantCulture);
        foreach (string line in (read(subidFile) ?? string.Empty).Split('\n'))
        {
            string[] f = line.Trim().Split(':');
            if (f.Length == 3 && (f[0] == name || f[0] == uid) && PasswdFile.Id(f[1]) is uint start && PasswdFile.Id(f[2]) is uint count && count > 0)
            {
                return new IdMap(0, start, count);
            }
        }

        throw new UsageException($"option '--{option}': no range for {name ?? uid} in /{subidFile}");
    }

    /// <summary>Writes setgroups, uid_map, gid_map of <paramref name="pid"/>, in that order.</summary>
    public static void WriteMaps(int pid, UserMaps maps)
    {
        // setgroups first: the kernel accepts it only while gid_map is still unwritten, and an unprivileged
        // gid_map write is refused until it says "deny".
        if (maps.SetGroups is string setGroups)
        {
            WriteProcFile(pid, "setgroups", setGroups);
        }

        WriteMap(pid, "uid_map", "newuidmap", maps.Uids, maps.CallerUid, maps.Privileged);
        WriteMap(pid, "gid_map", "newgidmap", maps.Gids, maps.CallerGid, maps.Privileged);
    }

    /// <summary>
    /// The kernel lets the caller write its own id alone (or anything with CAP_SETUID/CAP_SETGID); ranges of
    /// other ids need the setuid helpers of the uidmap package, which check /etc/subuid and /etc/subgid.
    /// </summary>
    private static void WriteMap(int pid, string file, string helper, IReadOnlyList<IdMap> maps, uint callerId, bool privileged)
    {
        if (maps.Count == 0)
        {
            return;
        }

        if (privileged || (maps.Count == 1 && maps[0].Outer == callerId && maps[0].Count == 1))
        {
            var text = new System.Text.StringBuilder();
            foreach (IdMap m in maps)
            {
                text.Append(m.ToString()).Append('\n');
            }

            WriteProcFile(pid, file, text.ToString());
            return;
        }

        var argv = new List<string> { helper, pid.ToString(CultureInfo.InvariantCulture) };
        foreach (IdMap m in maps)
        {
            argv.Add(m.Inner.ToString(CultureInfo.InvariantCulture));
            argv.Add(m.Outer.ToString(CultureInfo.InvariantCulture));
            argv.Add(m.Count.ToString(CultureInfo.InvariantCulture));
        }

        RunHelper(helper, argv.ToArray());
    }

    /// <summary>One write(2): the kernel takes a map only whole, in a single write.</summary>
    private static void WriteProcFile(int pid, string file, string text)
    {
        string path = FormattableString.Invariant($"/proc/{pid}/{file}");
        string what = $"write '{text.TrimEnd('\n').Replace('\n', ',')}' to {path}";
        int fd = Check.Ok(Files.Open(path, Libc.O_WRONLY, 0), $"open {path}");
        nint written = Files.WriteOnce(fd, text);
        Libc.close(fd);
        Check.Ok(written, what);
    }

    private static void RunHelper(string helper, string[] argv)
    {
        byte** cargv = CStrings.Array(argv);
        byte** envp = CStrings.Array(["PATH=" + Init.ProgramSearch.DefaultPath]);
        int pid;
        int result = Libc.posix_spawnp(&pid, cargv[0], null, null, cargv, envp);
        if (result != 0)
        {
            throw new SetupException($"run {string.Join(' ', argv)} (package uidmap)", -result);
        }

        int status = 0;
        int waited;
        while ((waited = Libc.waitpid(pid, &status, 0)) == -Libc.EINTR)
        {
        }

        Check.Ok(waited, $"wait for {helper}");

        if (status != 0)
        {
            throw new SetupException($"{string.Join(' ', argv)} exited with {Init.ExitStatus.ToExitCode(status)}: the ranges must be yours in /etc/subuid and /etc/subgid");
        }
    }

    /// <summary>A number, or a name from the host's file (the namespace has no other yet).</summary>
    private static uint HostId(string option, string value, string file, HostFile read)
    {
        if (PasswdFile.Id(value) is uint id)
        {
            return id;
        }

        string text = read(file) ?? string.Empty;
        uint? found = file == "etc/passwd"
            ? Array.Find(PasswdFile.ParsePasswd(text), p => p.Name == value)?.Uid
            : Array.Find(PasswdFile.ParseGroup(text), g => g.Name == value)?.Gid;
        return found ?? throw new UsageException($"option '--{option}': '{value}' is not a number nor a name in /{file}");
    }

    private static long Offset(uint start, uint count, uint id) => id >= start && id - start < count ? id - start : -1;

    private static uint Skip(uint start, long hole, long k) => (uint)(start + k + (hole >= 0 && k >= hole ? 1 : 0));
}
