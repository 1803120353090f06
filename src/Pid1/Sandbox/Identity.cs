using System;
using System.Collections.Generic;
using System.IO;
using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;

namespace Pid1.Sandbox;

/// <summary>Who the program runs as; null fields stay as they are. <paramref name="Who"/> is for messages.</summary>
/// <remarks>A class, not a record: nothing compares it by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class ResolvedIdentity(string Who, uint? Uid, uint? Gid, IReadOnlyList<uint>? Groups)
{
    public string Who { get; } = Who;

    public uint? Uid { get; } = Uid;

    public uint? Gid { get; } = Gid;

    public IReadOnlyList<uint>? Groups { get; } = Groups;
}

/// <summary>
/// --user/--groups (or unshare's -S/-G), capabilities, no_new_privs and rlimits: resolved in the parent before
/// clone, applied by the program's process just before exec (after the root switch, so a setuid never
/// blocks a mount, and after the pid namespace's init forked it, so that init keeps the power to clean up).
/// </summary>
internal static unsafe class Identity
{
    /// <summary>The root whose /etc/passwd and /etc/group name the users: the new root, if any.</summary>
    public static string NewRoot(Options o) => o.RootfsDir ?? o.ChrootDir ?? "/";

    /// <summary>Adds the identity steps in their only working order; see each comment for why.</summary>
    public static void AddSteps(ChildPlan plan, Options o, UserMaps? maps)
    {
        string root = NewRoot(o);
        ResolvedIdentity? who = Resolve(o, root, relative => RootFile.ReadIfExists(root, relative));
        bool capOptions = o.CapAdd.Count + o.CapDrop.Count > 0;
        int lastCap = capOptions || o.KeepCaps ? Capabilities.LastCap() : 0;
        ulong? caps = capOptions ? Capabilities.FinalSet(o, Capabilities.ReadBounding(lastCap)) : null;

        // Limits first: raising a hard limit needs CAP_SYS_RESOURCE, which the target user usually lacks.
        foreach (RlimitRequest limit in o.Rlimits)
        {
            var value = (rlimit*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(rlimit));
            *value = new rlimit { rlim_cur = limit.Soft, rlim_max = limit.Hard };
            plan.Add(new ChildStep { Kind = StepKind.SetRlimit, Number = limit.Resource, Data = value }, $"setrlimit {limit.Name} {Limit(limit.Soft)}:{Limit(limit.Hard)}");
        }

        if (caps is ulong bounding)
        {
            // The bounding set is trimmed while CAP_SETPCAP is still effective: setuid empties the effective set.
            plan.Add(new ChildStep { Kind = StepKind.DropBounding, Flags = bounding, Number = lastCap }, $"drop the bounding set to {Capabilities.Describe(bounding)}");
            if (who?.Uid is uint uid && uid != 0)
            {
                // Without KEEPCAPS, a setuid from 0 to non-0 clears the permitted set and F could not be restored.
                plan.Add(new ChildStep { Kind = StepKind.Prctl, Number = Libc.PR_SET_KEEPCAPS, Flags = 1 }, "prctl PR_SET_KEEPCAPS");
            }
        }

        if (who is not null)
        {
            AddDrop(plan, who, maps?.SetGroupsDenied == true && (o.Namespaces & Libc.CLONE_NEWUSER) != 0, o.Groups is not null);
        }

        if (caps is ulong set)
        {
            plan.Add(new ChildStep { Kind = StepKind.SetCapabilities, Flags = set }, $"capset {Capabilities.Describe(set)}");
            plan.Add(new ChildStep { Kind = StepKind.RaiseAmbient, Flags = set, Number = lastCap }, $"raise the ambient capabilities {Capabilities.Describe(set)}");
        }

        if (o.KeepCaps)
        {
            plan.Add(new ChildStep { Kind = StepKind.PermittedToAmbient, Number = lastCap }, "keep the permitted capabilities across exec (--keep-caps)");
        }

        if (o.NoNewPrivileges)
        {
            // Last: it would not stop the steps above, but it must hold for everything exec starts.
            plan.Add(new ChildStep { Kind = StepKind.Prctl, Number = Libc.PR_SET_NO_NEW_PRIVS, Flags = 1 }, "prctl PR_SET_NO_NEW_PRIVS");
        }
    }

    /// <summary>
    /// setgroups → setresgid → setresuid, then a check. The order is forced: each call needs a capability
    /// (CAP_SETGID, then CAP_SETUID) that the next one takes away. set*resid sets the saved ids too, so
    /// nothing can switch back. Also the drop of `pid1 exec`, to the sandbox's user or its --user.
    /// </summary>
    public static void AddDrop(ChildPlan plan, ResolvedIdentity who, bool setGroupsDenied, bool groupsAsked)
    {
        if (who.Groups is IReadOnlyList<uint> groups)
        {
            if (!setGroupsDenied)
            {
                uint* list = (uint*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)Math.Max(groups.Count, 1), sizeof(uint));
                for (int i = 0; i < groups.Count; i++)
                {
                    list[i] = groups[i];
                }

                plan.Add(new ChildStep { Kind = StepKind.SetGroups, Number = groups.Count, Data = list }, $"setgroups [{string.Join(',', groups)}] for {who.Who}");
            }
            else if (groupsAsked)
            {
                throw new UsageException("option '--groups': setgroups is denied in this user namespace; add --setgroups allow");
            }
            else
            {
                Log.Info($"setgroups is denied in the user namespace: {who.Who} keeps the supplementary groups it has");
            }
        }

        if (who.Gid is uint gid)
        {
            plan.Add(new ChildStep { Kind = StepKind.SetGid, Number = gid }, $"setresgid {gid} for {who.Who}");
        }

        if (who.Uid is uint uid)
        {
            plan.Add(new ChildStep { Kind = StepKind.SetUid, Number = uid }, $"setresuid {uid} for {who.Who}");
        }

        plan.Add(
            new ChildStep { Kind = StepKind.CheckIds, Number = who.Uid is uint u ? u : -1, Flags = who.Gid is uint g ? g : ulong.MaxValue },
            $"check that the drop to {who.Who} took (getresuid, getresgid)");
    }

    /// <summary>--user NAME|UID[:GROUP] and --groups, or -S/-G, against the new root's files.</summary>
    public static ResolvedIdentity? Resolve(Options o, string root, Func<string, string?> read)
    {
        if (o.User is null)
        {
            if (o.Groups is not null && o.SetGid is null)
            {
                throw new UsageException("option '--groups' needs --user (or --setgid)");
            }

            // unshare(1)'s -G clears the supplementary groups with the gid; -S changes the uid alone.
            return o.SetUid is null && o.SetGid is null
                ? null
                : new ResolvedIdentity($"--setuid {o.SetUid} --setgid {o.SetGid}", o.SetUid, o.SetGid, o.SetGid is null ? null : o.Groups is null ? [] : GroupList(o.Groups, root, GroupFile(read)));
        }

        if (o.SetUid is not null || o.SetGid is not null)
        {
            throw new UsageException("options '--user' and '--setuid'/'--setgid' both choose the user; give one");
        }

        return ResolveUser(o.User, o.Groups, root, read);
    }

    /// <summary>
    /// USER[:GROUP] (names or numbers) and an optional --groups list, against the files of
    /// <paramref name="root"/>: pid1's --user, and `pid1 exec --user` with the sandbox's root.
    /// </summary>
    public static ResolvedIdentity ResolveUser(string user, string? groupList, string root, Func<string, string?> read)
    {
        int colon = user.IndexOf(':');
        string userPart = colon < 0 ? user : user.Substring(0, colon);
        string? groupPart = colon < 0 ? null : user.Substring(colon + 1);
        string passwdPath = Path.Join(root, "etc/passwd");
        Func<GroupEntry[]> groupFile = GroupFile(read);
        PasswdEntry? entry = Array.Find(
            PasswdFile.ParsePasswd(read("etc/passwd") ?? string.Empty),
            p => PasswdFile.Id(userPart) is uint id ? p.Uid == id : p.Name == userPart);
        if (entry is null && (PasswdFile.Id(userPart) is null || groupPart is null))
        {
            throw new SetupException($"resolve --user {user}: no user '{userPart}' in {passwdPath}"
                + (PasswdFile.Id(userPart) is null ? string.Empty : " (give UID:GID for a user without an entry)"));
        }

        uint uid = entry?.Uid ?? PasswdFile.Id(userPart)!.Value;
        uint gid = groupPart is null ? entry!.Gid : GroupId(groupPart, root, groupFile);
        IReadOnlyList<uint> groups = groupList is string list
            ? GroupList(list, root, groupFile)
            : MemberOf(gid, entry, groupFile);
        return new ResolvedIdentity($"user {user}", uid, gid, groups);
    }

    /// <summary>--groups a,b,12: names from the new root's /etc/group, numbers as they are; "" is none.</summary>
    private static uint[] GroupList(string list, string root, Func<GroupEntry[]> groupFile)
    {
        var ids = new List<uint>();
        foreach (string g in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            AddOnce(ids, GroupId(g, root, groupFile));
        }

        return ids.ToArray();
    }

    /// <summary>The primary group first, then every /etc/group entry listing the user, each once.</summary>
    private static uint[] MemberOf(uint gid, PasswdEntry? entry, Func<GroupEntry[]> groupFile)
    {
        var ids = new List<uint> { gid };
        if (entry is not null)
        {
            foreach (GroupEntry g in groupFile())
            {
                foreach (string member in g.Members)
                {
                    if (member == entry.Name)
                    {
                        AddOnce(ids, g.Gid);
                        break;
                    }
                }
            }
        }

        return ids.ToArray();
    }

    private static void AddOnce(List<uint> ids, uint id)
    {
        if (!ids.Contains(id))
        {
            ids.Add(id);
        }
    }

    private static uint GroupId(string group, string root, Func<GroupEntry[]> groupFile) =>
        PasswdFile.Id(group)
        ?? Array.Find(groupFile(), g => g.Name == group)?.Gid
        ?? throw new SetupException($"resolve group '{group}': not in {Path.Join(root, "etc/group")}");

    /// <summary>The new root's etc/group, read and parsed at its first use only: every name is looked up in one table.</summary>
    private static Func<GroupEntry[]> GroupFile(Func<string, string?> read)
    {
        GroupEntry[]? parsed = null;
        return () => parsed ??= PasswdFile.ParseGroup(read("etc/group") ?? string.Empty);
    }

    private static string Limit(ulong value) => value == Libc.RLIM_INFINITY ? "unlimited" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Child side: allocation-free, −errno on failure.
    //
    // Raw syscalls, not glibc's wrappers, although DESIGN (hazard 6) says libc: glibc applies a credential
    // change to every thread it knows, and the cloned child still lists the parent's threads in its copy of
    // glibc's memory; when one of them was half-created at clone time, the wrapper waits for it forever
    // (seen once in ~100 runs of `pid1 exec`). The child has exactly one thread, so the raw syscall covers
    // the whole process, which is what the libc rule is there to guarantee.

    public static int SetGroups(long count, uint* groups) => Libc.sys_setgroups((nuint)count, groups);

    public static int SetGid(long gid) => Libc.sys_setresgid((uint)gid, (uint)gid, (uint)gid);

    public static int SetUid(long uid) => Libc.sys_setresuid((uint)uid, (uint)uid, (uint)uid);

    /// <summary>Real, effective and saved ids all equal the target, or −EPERM: a half-done drop must not exec.</summary>
    public static int CheckDrop(long uid, ulong gid)
    {
        uint r, e, s;
        if (uid >= 0 && (Libc.getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid))
        {
            return -Libc.EPERM;
        }

        if (gid != ulong.MaxValue && (Libc.getresgid(&r, &e, &s) < 0 || r != gid || e != gid || s != gid))
        {
            return -Libc.EPERM;
        }

        return 0;
    }

    public static int SetRlimit(int resource, rlimit* value) => Libc.setrlimit(resource, value);
}
