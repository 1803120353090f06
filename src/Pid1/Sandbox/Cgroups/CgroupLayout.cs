using System;
using System.Collections.Generic;
using System.IO;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>
/// One mounted cgroup hierarchy: its version, the directory of pid1's own cgroup in it (where pid1 creates
/// the new one), and the controllers usable there (v1: bound to the mount; v2: listed in cgroup.controllers).
/// </summary>
internal sealed record Hierarchy(int Version, string Dir, IReadOnlySet<string> Controllers)
{
    public override string ToString() => $"cgroup v{Version} at {Dir}";
}

/// <summary>
/// The host's cgroup layout from /proc/self/mountinfo and /proc/self/cgroup: pure v1, pure v2 or hybrid
/// (v1 controllers beside a cgroup2 mount holding the rest). A controller mounted on v1 is used there;
/// otherwise on v2 when it is listed there.
/// </summary>
internal sealed record CgroupLayout(IReadOnlyList<Hierarchy> Hierarchies)
{
    public static CgroupLayout Detect() =>
        Parse(Files.ReadText("/proc/self/mountinfo"), Files.ReadText("/proc/self/cgroup"), ReadControllers);

    /// <param name="mountinfo">/proc/self/mountinfo.</param>
    /// <param name="procCgroup">/proc/self/cgroup: "ID:CONTROLLERS:PATH", "0::PATH" for v2.</param>
    /// <param name="v2Controllers">Reads cgroup.controllers of a v2 directory.</param>
    public static CgroupLayout Parse(string mountinfo, string procCgroup, Func<string, string> v2Controllers)
    {
        string[][] ownPaths = Array.FindAll(
            Array.ConvertAll(procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.Split(':', 3)),
            f => f.Length == 3);
        var hierarchies = new List<Hierarchy>();
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

            string root = Unescape(fields[3]);
            string mountPoint = mountPoints[i];
            if (fields[dash + 1] == "cgroup2")
            {
                string? own = Array.Find(ownPaths, f => f[0] == "0" && f[1].Length == 0)?[2];
                if (own is not null && Below(mountPoint, root, own) is string dir)
                {
                    hierarchies.Add(new Hierarchy(2, dir, Words(v2Controllers(dir))));
                }

                continue;
            }

            var controllers = new HashSet<string>(Array.FindAll(fields[dash + 3].Split(','), o => o is not ("rw" or "ro") && !o.Contains('=')));
            string? path = Array.Find(ownPaths, f => Array.Exists(f[1].Split(','), controllers.Contains))?[2];
            if (controllers.Count > 0 && path is not null && Below(mountPoint, root, path) is string v1Dir)
            {
                hierarchies.Add(new Hierarchy(1, v1Dir, controllers));
            }
        }

        return new CgroupLayout(hierarchies);
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

    /// <summary>The directory of cgroup <paramref name="path"/> in a mount of <paramref name="root"/>; null when outside it.</summary>
    private static string? Below(string mountPoint, string root, string path)
    {
        string rootSlash = root.TrimEnd('/') + "/";
        if (path != root && !path.StartsWith(rootSlash, StringComparison.Ordinal))
        {
            return null;
        }

        string rest = path.Length > root.Length ? path.Substring(root.TrimEnd('/').Length) : string.Empty;
        return mountPoint.TrimEnd('/') + rest.TrimEnd('/');
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

    /// <summary>The name only: the generated ToString, kept in the binary because object.ToString is virtual, formats every member.</summary>
    public override string ToString() => nameof(CgroupLayout);
}
