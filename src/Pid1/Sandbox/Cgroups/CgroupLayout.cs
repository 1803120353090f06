using System;
using System.Collections.Generic;
using System.IO;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>
/// One mounted cgroup hierarchy: its version, the directory of pid1's own cgroup in it (where pid1 creates
/// the new one), and the controllers usable there (v1: bound to the mount; v2: listed in cgroup.controllers).
/// </summary>
/// <remarks>A class, not a record (nor are the two after it): nothing compares hierarchies by value (the plan keys a dictionary by the layout's own instances), and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class Hierarchy(int Version, string Dir, IReadOnlySet<string> Controllers)
{
    public int Version { get; } = Version;

    public string Dir { get; } = Dir;

    public IReadOnlySet<string> Controllers { get; } = Controllers;

    public override string ToString() => $"cgroup v{Version} at {Dir}";
}

/// <summary>
/// A cgroup mount no later mount hides: its version, where it is, which cgroup of its hierarchy it shows at
/// its top (its root: not "/" in a container or after a bind mount) and, for v1, the hierarchy's options
/// (its controllers and any name=).
/// </summary>
internal sealed class CgroupMount(int Version, string MountPoint, string Root, IReadOnlySet<string> Options)
{
    public int Version { get; } = Version;

    public string MountPoint { get; } = MountPoint;

    public string Root { get; } = Root;

    public IReadOnlySet<string> Options { get; } = Options;

    /// <summary>This mount shows the hierarchy of <paramref name="cgroup"/>.</summary>
    public bool IsOf(CgroupMembership cgroup) =>
        cgroup.IsUnified ? Version == 2 : Version == 1 && Array.Exists(cgroup.Controllers.Split(','), Options.Contains);

    /// <summary>The directory of cgroup <paramref name="path"/> in this mount; null when outside its root.</summary>
    public string? Directory(string path)
    {
        string rootSlash = Root.TrimEnd('/') + "/";
        if (path != Root && !path.StartsWith(rootSlash, StringComparison.Ordinal))
        {
            return null;
        }

        string rest = path.Length > Root.Length ? path.Substring(Root.TrimEnd('/').Length) : string.Empty;
        return MountPoint.TrimEnd('/') + rest.TrimEnd('/');
    }

    public override string ToString() => $"cgroup v{Version} at {MountPoint}";
}

/// <summary>
/// The host's cgroup layout from /proc/self/mountinfo and /proc/self/cgroup: pure v1, pure v2 or hybrid
/// (v1 controllers beside a cgroup2 mount holding the rest). A controller mounted on v1 is used there;
/// otherwise on v2 when it is listed there. The one place that knows where a cgroup's directory is: cgroup2
/// is not always at /sys/fs/cgroup (hybrid hosts have it at /sys/fs/cgroup/unified, containers anywhere).
/// </summary>
internal sealed class CgroupLayout(IReadOnlyList<Hierarchy> Hierarchies, IReadOnlyList<CgroupMount> Mounts)
{
    public IReadOnlyList<Hierarchy> Hierarchies { get; } = Hierarchies;

    public IReadOnlyList<CgroupMount> Mounts { get; } = Mounts;

    public static CgroupLayout Detect() =>
        Parse(Files.ReadText("/proc/self/mountinfo"), Files.ReadText("/proc/self/cgroup"), ReadControllers);

    /// <param name="mountinfo">/proc/self/mountinfo.</param>
    /// <param name="procCgroup">/proc/self/cgroup: "ID:CONTROLLERS:PATH", "0::PATH" for v2.</param>
    /// <param name="v2Controllers">Reads cgroup.controllers of a v2 directory.</param>
    public static CgroupLayout Parse(string mountinfo, string procCgroup, Func<string, string> v2Controllers)
    {
        CgroupMembership[] own = ProcCgroup.Parse(procCgroup);
        List<CgroupMount> mounts = VisibleMounts(mountinfo);
        var hierarchies = new List<Hierarchy>();
        foreach (CgroupMount mount in mounts)
        {
            if (Array.Find(own, mount.IsOf) is CgroupMembership mine && mount.Directory(mine.Path) is string dir
                && OwnHierarchy(mount, dir, v2Controllers) is Hierarchy hierarchy)
            {
                hierarchies.Add(hierarchy);
            }
        }

        return new CgroupLayout(hierarchies, mounts);
    }

    /// <summary>
    /// The directory of <paramref name="cgroup"/> (another process's, say): under the first visible mount of
    /// its hierarchy that shows it; null when none does.
    /// </summary>
    public string? Directory(CgroupMembership cgroup)
    {
        foreach (CgroupMount mount in Mounts)
        {
            if (mount.IsOf(cgroup) && mount.Directory(cgroup.Path) is string dir)
            {
                return dir;
            }
        }

        return null;
    }

    public string Kind => (Find(h => h.Version == 1) is not null, Find(h => h.Version == 2) is not null) switch
    {
        (true, true) => "hybrid",
        (true, false) => "v1",
        (false, true) => "v2",
        _ => "none",
    };

    /// <summary>Where a controller is usable: its v1 hierarchy, else the v2 one listing it; null when neither.</summary>
    public Hierarchy? For(string v1Controller, string v2Controller) =>
        Find(h => h.Version == 1 && h.Controllers.Contains(v1Controller))
        ?? Find(h => h.Version == 2 && h.Controllers.Contains(v2Controller));

    /// <summary>
    /// The hierarchy that holds the tree when no controller needs one (and for cgroup.kill): v2 if mounted,
    /// else pids, else any v1 controller.
    /// </summary>
    public Hierarchy? Grouping =>
        Find(h => h.Version == 2)
        ?? Find(h => h.Controllers.Contains("pids"))
        ?? Find(_ => true);

    private Hierarchy? Find(Predicate<Hierarchy> match)
    {
        foreach (Hierarchy h in Hierarchies)
        {
            if (match(h))
            {
                return h;
            }
        }

        return null;
    }

    private static string ReadControllers(string dir) => Files.ReadTextIfPresent(Path.Join(dir, "cgroup.controllers")) ?? string.Empty;

    /// <summary>pid1's own cgroup in a mount: v2 with the controllers it lists; v1 when it has controllers (not name= alone).</summary>
    private static Hierarchy? OwnHierarchy(CgroupMount mount, string dir, Func<string, string> v2Controllers)
    {
        if (mount.Version == 2)
        {
            return new Hierarchy(2, dir, Words(v2Controllers(dir)));
        }

        var controllers = new HashSet<string>(mount.Options);
        controllers.RemoveWhere(o => o.Contains('='));
        return controllers.Count > 0 ? new Hierarchy(1, dir, controllers) : null;
    }

    /// <summary>The cgroup and cgroup2 mounts of mountinfo that no later mount hides.</summary>
    private static List<CgroupMount> VisibleMounts(string mountinfo)
    {
        var mounts = new List<CgroupMount>();
        string[] lines = mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] mountPoints = Array.ConvertAll(lines, line => line.Split(' ') is { Length: > 4 } f ? Unescape(f[4]) : string.Empty);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] fields = lines[i].Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 0 || dash + 3 >= fields.Length || fields[dash + 1] is not ("cgroup" or "cgroup2") || IsCovered(mountPoints, i))
            {
                continue;
            }

            var options = new HashSet<string>(fields[dash + 3].Split(','));
            options.RemoveWhere(o => o is "rw" or "ro");
            mounts.Add(new CgroupMount(fields[dash + 1] == "cgroup2" ? 2 : 1, mountPoints[i], Unescape(fields[3]), options));
        }

        return mounts;
    }

    private static HashSet<string> Words(string text) => new(text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// A mount listed later at the same place or above it hides this one: mountinfo lists mounts in the order
    /// they were made, so e.g. a tmpfs mounted over /sys/fs/cgroup/unified leaves no usable cgroup2 there.
    /// </summary>
    private static bool IsCovered(string[] mountPoints, int index)
    {
        string mountPoint = mountPoints[index];
        for (int later = index + 1; later < mountPoints.Length; later++)
        {
            string above = mountPoints[later];
            if (above.Length > 0 && (mountPoint == above || mountPoint.StartsWith(above.TrimEnd('/') + "/", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field) =>
        field.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
