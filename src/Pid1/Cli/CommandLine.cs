using System;
using System.Collections.Generic;
using System.Globalization;
using Pid1.Init;
using Pid1.Native;

namespace Pid1.Cli;

/// <summary>
/// argv + environment → <see cref="Options"/>. Options stop at the first non-option (so `pid1 ls -l` runs ls -l)
/// or at `--`. Short options follow unshare(1) where tini or dumb-init would clash with it.
/// </summary>
internal static class CommandLine
{
    private enum Arg
    {
        None,
        Required,
        Optional,
    }

    /// <summary>One option: its names, whether it takes a value, and how it changes the options.</summary>
    /// <remarks>A class, not a record: a record's EqualityContract (typeof) makes its fields' enum types
    /// reflectable, which keeps the runtime's reflective enum formatting in the binary.</remarks>
    private sealed class Spec(string @long, char @short, Arg arg, bool repeatable, Func<Options, string, Options> apply)
    {
        public string Long { get; } = @long;

        public char Short { get; } = @short;

        public Arg Arg { get; } = arg;

        public bool Repeatable { get; } = repeatable;

        public Func<Options, string, Options> Apply { get; } = apply;
    }

    private static readonly string[] CgroupLimitOptions =
    {
        "memory", "memory-swap", "memory-swappiness", "cpu-shares", "cpu-period", "cpu-quota", "cpus",
        "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight",
    };

    private static readonly string[] CgroupDeviceOptions =
    {
        "device-read-bps", "device-write-bps", "device-read-iops", "device-write-iops", "device-deny", "device-allow",
    };

    // Last of the static fields: it reads the tables above, and C# initializes fields in textual order.
    private static readonly Spec[] Specs = BuildSpecs();

    public static IEnumerable<string> LongNames
    {
        get
        {
            var names = new string[Specs.Length];
            for (int i = 0; i < names.Length; i++)
            {
                names[i] = Specs[i].Long;
            }

            return names;
        }
    }

    /// <summary>Parses argv; the environment supplies PID1_VERBOSITY and PID1_SUBREAPER.</summary>
    public static Options Parse(IReadOnlyList<string> argv, Func<string, string?> environment, bool callerIsRoot)
    {
        Options options = FromEnvironment(environment);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        while (i < argv.Count)
        {
            string arg = argv[i];
            if (arg == "--")
            {
                i++;
                break;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                break;
            }

            i = arg.StartsWith("--", StringComparison.Ordinal)
                ? ParseLong(argv, i, ref options, seen)
                : ParseShort(argv, i, ref options, seen);
        }

        if (i < argv.Count)
        {
            options = options with
            {
                Program = argv[i].Length > 0 ? argv[i] : throw new UsageException("the program name is empty"),
                Arguments = Rest(argv, i + 1),
            };
        }

        return Complete(options, callerIsRoot);
    }

    private static Options FromEnvironment(Func<string, string?> environment)
    {
        Options options = Options.Default;
        if (environment("PID1_VERBOSITY") is { Length: > 0 } verbosity)
        {
            options = options with { Verbosity = ParseInt("PID1_VERBOSITY", verbosity, 0, 9) };
        }

        if (environment("PID1_SUBREAPER") is { Length: > 0 })
        {
            options = options with { Subreaper = true };
        }

        return options;
    }

    private static int ParseLong(IReadOnlyList<string> argv, int i, ref Options options, HashSet<string> seen)
    {
        string arg = argv[i].Substring(2);
        int equals = arg.IndexOf('=');
        string name = equals < 0 ? arg : arg.Substring(0, equals);
        Spec spec = Find(name, '\0')
            ?? throw new UsageException($"unknown option '--{name}'");
        string? value = equals < 0 ? null : arg.Substring(equals + 1);
        if (value is null && spec.Arg == Arg.Required)
        {
            value = i + 1 < argv.Count ? argv[++i] : throw new UsageException($"option '--{name}' needs a value");
        }
        else if (value is not null && spec.Arg == Arg.None)
        {
            throw new UsageException($"option '--{name}' takes no value (got '{value}')");
        }

        options = Apply(spec, value ?? string.Empty, options, seen);
        return i + 1;
    }

    /// <summary>Clustered short options: -fp, -vv, -e 3, -e3.</summary>
    private static int ParseShort(IReadOnlyList<string> argv, int i, ref Options options, HashSet<string> seen)
    {
        string arg = argv[i];
        for (int k = 1; k < arg.Length; k++)
        {
            char c = arg[k];
            Spec spec = Find(null, c)
                ?? throw new UsageException($"unknown option '-{c}'");
            string value = string.Empty;
            if (spec.Arg == Arg.Required)
            {
                value = k + 1 < arg.Length ? arg.Substring(k + 1)
                    : i + 1 < argv.Count ? argv[++i]
                    : throw new UsageException($"option '-{c}' needs a value");
                options = Apply(spec, value, options, seen);
                break;
            }

            options = Apply(spec, value, options, seen);
        }

        return i + 1;
    }

    private static Options Apply(Spec spec, string value, Options options, HashSet<string> seen)
    {
        if (!spec.Repeatable && !seen.Add(spec.Long))
        {
            throw new UsageException($"option '--{spec.Long}' given twice");
        }

        return spec.Apply(options, value);
    }

    /// <summary>Implications between options, then the checks that need the whole command line.</summary>
    private static Options Complete(Options o, bool callerIsRoot)
    {
        if (o.UnshareAll)
        {
            o = o with
            {
                Namespaces = o.Namespaces | Libc.CLONE_NEWNS | Libc.CLONE_NEWUTS | Libc.CLONE_NEWIPC | Libc.CLONE_NEWNET
                    | Libc.CLONE_NEWPID | Libc.CLONE_NEWCGROUP | (callerIsRoot ? 0 : Libc.CLONE_NEWUSER),
            };
        }

        bool mapsUsers = o.MapRootUser || o.MapCurrentUser || o.MapUser is not null || o.MapGroup is not null
            || o.MapUsers is not null || o.MapGroups is not null || o.MapAuto;
        if (mapsUsers)
        {
            o = o with { Namespaces = o.Namespaces | Libc.CLONE_NEWUSER };
        }

        if (o.MountProc is not null || o.RootfsDir is not null || o.Mounts.Count > 0 || o.ReadOnlyRoot)
        {
            o = o with { Namespaces = o.Namespaces | Libc.CLONE_NEWNS };
        }

        if (o.ChrootDir is not null && o.RootfsDir is not null)
        {
            throw new UsageException("--root and --rootfs both give the new root; use one");
        }

        if (o.RootfsDir is not null && o.Propagation is "shared" or "unchanged")
        {
            throw new UsageException($"option '--propagation': '{o.Propagation}' cannot be used with --rootfs (pivot_root needs a private or slave root)");
        }

        if ((o.Hostname is not null || o.Domainname is not null) && (o.Namespaces & Libc.CLONE_NEWUTS) == 0)
        {
            throw new UsageException("--hostname and --domainname need a new UTS namespace (-u)");
        }

        if (o.Program.Length == 0 && !o.ShowHelp && !o.ShowVersion)
        {
            throw new UsageException("no program given");
        }

        return o;
    }

    private static string[] Rest(IReadOnlyList<string> argv, int start)
    {
        var rest = new string[argv.Count - start];
        for (int k = 0; k < rest.Length; k++)
        {
            rest[k] = argv[start + k];
        }

        return rest;
    }

    /// <summary>The spec named --name (name not null) or -c; null when there is none.</summary>
    private static Spec? Find(string? name, char c)
    {
        foreach (Spec s in Specs)
        {
            if (name is null ? s.Short == c : s.Long == name)
            {
                return s;
            }
        }

        return null;
    }

    private static Spec[] CgroupLimitSpecs()
    {
        var specs = new Spec[CgroupLimitOptions.Length];
        for (int i = 0; i < specs.Length; i++)
        {
            string name = CgroupLimitOptions[i];
            specs[i] = new Spec(name, '\0', Arg.Required, false, (o, v) => o with
            {
                CgroupLimits = new Dictionary<string, string>(o.CgroupLimits) { [name] = NonEmpty(name, v) },
            });
        }

        return specs;
    }

    private static Spec[] CgroupDeviceSpecs()
    {
        var specs = new Spec[CgroupDeviceOptions.Length];
        for (int i = 0; i < specs.Length; i++)
        {
            string name = CgroupDeviceOptions[i];
            specs[i] = new Spec(name, '\0', Arg.Required, true, (o, v) => o with
            {
                CgroupDeviceRules = [.. o.CgroupDeviceRules, (name, NonEmpty(name, v))],
            });
        }

        return specs;
    }

    private static Spec[] BuildSpecs() =>
    [
        // Informational.
        new("help", 'h', Arg.None, false, (o, _) => o with { ShowHelp = true }),
        new("version", 'V', Arg.None, false, (o, _) => o with { ShowVersion = true }),
        new("verbose", 'v', Arg.None, true, (o, _) => o with { Verbosity = o.Verbosity + 1 }),
        new("quiet", 'q', Arg.None, false, (o, _) => o with { Verbosity = 0 }),

        // Init.
        new("subreaper", 's', Arg.None, false, (o, _) => o with { Subreaper = true }),
        new("kill-group", 'g', Arg.None, false, (o, _) => o with { KillGroup = true }),
        new("pdeathsig", '\0', Arg.Required, false, (o, v) => o with { ParentDeathSignal = ParseSignal("pdeathsig", v, false) }),
        new("remap-exit", 'e', Arg.Required, true, (o, v) => o with { RemapExit = [.. o.RemapExit, ParseInt("remap-exit", v, 0, 255)] }),
        new("rewrite", '\0', Arg.Required, true, (o, v) => o with { Rewrite = [.. o.Rewrite, ParseRewrite(v)] }),
        new("grace", '\0', Arg.Required, false, (o, v) => o with { GraceMilliseconds = ParseSeconds("grace", v) }),
        new("wait-all", '\0', Arg.None, false, (o, _) => o with { WaitAll = true }),

        // Namespaces, with unshare(1)'s letters.
        Namespace("mount", 'm', Libc.CLONE_NEWNS),
        Namespace("uts", 'u', Libc.CLONE_NEWUTS),
        Namespace("ipc", 'i', Libc.CLONE_NEWIPC),
        Namespace("net", 'n', Libc.CLONE_NEWNET),
        Namespace("pid", 'p', Libc.CLONE_NEWPID),
        // unshare's long names --user and --cgroup would clash with --user USER[:GROUP] and --cgroup NAME.
        Namespace("userns", 'U', Libc.CLONE_NEWUSER),
        Namespace("cgroupns", 'C', Libc.CLONE_NEWCGROUP),
        Namespace("time", 'T', Libc.CLONE_NEWTIME),
        new("fork", 'f', Arg.None, false, (o, _) => o),
        new("unshare-all", '\0', Arg.None, false, (o, _) => o with { UnshareAll = true }),
        new("mount-proc", '\0', Arg.Optional, false, (o, v) => o with { MountProc = v.Length == 0 ? "/proc" : v }),
        new("map-root-user", 'r', Arg.None, false, (o, _) => o with { MapRootUser = true }),
        new("map-current-user", 'c', Arg.None, false, (o, _) => o with { MapCurrentUser = true }),
        new("map-user", '\0', Arg.Required, false, (o, v) => o with { MapUser = NonEmpty("map-user", v) }),
        new("map-group", '\0', Arg.Required, false, (o, v) => o with { MapGroup = NonEmpty("map-group", v) }),
        new("map-users", '\0', Arg.Required, false, (o, v) => o with { MapUsers = NonEmpty("map-users", v) }),
        new("map-groups", '\0', Arg.Required, false, (o, v) => o with { MapGroups = NonEmpty("map-groups", v) }),
        new("map-auto", '\0', Arg.None, false, (o, _) => o with { MapAuto = true }),
        new("propagation", '\0', Arg.Required, false, (o, v) => o with { Propagation = OneOf("propagation", v, "slave", "shared", "private", "unchanged") }),
        new("setgroups", '\0', Arg.Required, false, (o, v) => o with { SetGroups = OneOf("setgroups", v, "allow", "deny") }),
        new("keep-caps", '\0', Arg.None, false, (o, _) => o with { KeepCaps = true }),
        new("setuid", 'S', Arg.Required, false, (o, v) => o with { SetUid = ParseId("setuid", v) }),
        new("setgid", 'G', Arg.Required, false, (o, v) => o with { SetGid = ParseId("setgid", v) }),
        new("kill-child", '\0', Arg.Optional, false, (o, v) => o with { KillChild = v.Length == 0 ? Libc.SIGKILL : ParseSignal("kill-child", v, false) }),
        new("hostname", '\0', Arg.Required, false, (o, v) => o with { Hostname = Bounded("hostname", v, 64) }),
        new("domainname", '\0', Arg.Required, false, (o, v) => o with { Domainname = Bounded("domainname", v, 64) }),

        // Root and mounts.
        new("root", 'R', Arg.Required, false, (o, v) => o with { ChrootDir = NonEmpty("root", v) }),
        new("rootfs", '\0', Arg.Required, false, (o, v) => o with { RootfsDir = NonEmpty("rootfs", v) }),
        new("wd", 'w', Arg.Required, false, (o, v) => o with { WorkingDirectory = NonEmpty("wd", v) }),
        new("bind", '\0', Arg.Required, true, (o, v) => AddMount(o, ParseBind("bind", v, MountKind.Bind))),
        new("ro-bind", '\0', Arg.Required, true, (o, v) => AddMount(o, ParseBind("ro-bind", v, MountKind.ReadOnlyBind))),
        new("tmpfs", '\0', Arg.Required, true, (o, v) => AddMount(o, ParseTmpfs(v))),
        new("proc", '\0', Arg.Required, true, (o, v) => AddMount(o, new MountRequest(MountKind.Proc, "proc", Absolute("proc", v), string.Empty))),
        new("dev", '\0', Arg.Required, true, (o, v) => AddMount(o, new MountRequest(MountKind.Dev, "tmpfs", Absolute("dev", v), string.Empty))),
        new("mount-image", '\0', Arg.Required, true, (o, v) => AddMount(o, ParseImage(v))),
        new("read-only", '\0', Arg.None, false, (o, _) => o with { ReadOnlyRoot = true }),

        // Identity.
        new("user", '\0', Arg.Required, false, (o, v) => o with { User = NonEmpty("user", v) }),
        new("groups", '\0', Arg.Required, false, (o, v) => o with { Groups = v }),
        new("cap-add", '\0', Arg.Required, true, (o, v) => o with { CapAdd = [.. o.CapAdd, .. List("cap-add", v)] }),
        new("cap-drop", '\0', Arg.Required, true, (o, v) => o with { CapDrop = [.. o.CapDrop, .. List("cap-drop", v)] }),
        new("no-new-privs", '\0', Arg.None, false, (o, _) => o with { NoNewPrivileges = true }),
        new("rlimit", '\0', Arg.Required, true, (o, v) => o with { Rlimits = [.. o.Rlimits, Rlimits.Parse(v)] }),
        new("listen", '\0', Arg.Required, true, (o, v) => o with { Listen = [.. o.Listen, ParseListen(v)] }),

        // Cgroups.
        new("cgroup", '\0', Arg.Required, false, (o, v) => o with { CgroupName = NonEmpty("cgroup", v) }),
        new("cgroup-optional", '\0', Arg.None, false, (o, _) => o with { CgroupOptional = true }),
        .. CgroupLimitSpecs(),
        .. CgroupDeviceSpecs(),

        // Lifecycle and kernel init.
        new("detach", '\0', Arg.None, false, (o, _) => o with { Detach = true }),
        new("log", '\0', Arg.Required, false, (o, v) => o with { LogFile = NonEmpty("log", v) }),
        new("name", '\0', Arg.Required, false, (o, v) => o with { Name = NonEmpty("name", v) }),
        new("status-fd", '\0', Arg.Required, false, (o, v) => o with { StatusFd = ParseInt("status-fd", v, 0, int.MaxValue) }),
        new("reboot", '\0', Arg.None, false, (o, _) => o with { Reboot = true }),
    ];

    private static Spec Namespace(string name, char letter, ulong flag) =>
        new(name, letter, Arg.None, false, (o, _) => o with { Namespaces = o.Namespaces | flag });

    private static Options AddMount(Options o, MountRequest mount) => o with { Mounts = [.. o.Mounts, mount] };

    public static int ParseInt(string option, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw new UsageException($"option '--{option}': '{value}' is not a number from {min} to {max}");

    private static uint ParseId(string option, string value) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) && id != uint.MaxValue
            ? id
            : throw new UsageException($"option '--{option}': '{value}' is not a numeric id");

    /// <summary>Seconds up to a day, as milliseconds rounded half to even.</summary>
    private static int ParseSeconds(string option, string value) =>
        DecimalText.TryParse(value, out DecimalText seconds) && seconds.TryFloor(3, out long ms, out DecimalText.Rest rest)
        && (ms < 86_400_000 || (ms == 86_400_000 && rest == DecimalText.Rest.Zero))
            ? (int)DecimalText.Round(ms, rest)
            : throw new UsageException($"option '--{option}': '{value}' is not a number of seconds from 0 to 86400");

    public static int ParseSignal(string option, string value, bool allowZero) =>
        Signals.TryParse(value, allowZero, out int signal)
            ? signal
            : throw new UsageException($"option '--{option}': '{value}' is not a signal");

    private static (int, int) ParseRewrite(string value)
    {
        int colon = value.IndexOf(':');
        if (colon < 0)
        {
            throw new UsageException($"option '--rewrite': '{value}' is not FROM:TO");
        }

        int from = ParseSignal("rewrite", value.Substring(0, colon), false);
        if (!Signals.IsForwardable(from))
        {
            throw new UsageException($"option '--rewrite': {Signals.Name(from)} never reaches pid1's forwarding");
        }

        return (from, ParseSignal("rewrite", value.Substring(colon + 1), true));
    }

    private static string NonEmpty(string option, string value) =>
        value.Length > 0 ? value : throw new UsageException($"option '--{option}' needs a non-empty value");

    private static string Bounded(string option, string value, int max) =>
        value.Length is > 0 and <= 64 && value.Length <= max
            ? value
            : throw new UsageException($"option '--{option}': '{value}' must be 1 to {max} characters");

    private static string OneOf(string option, string value, params string[] allowed) =>
        Array.IndexOf(allowed, value) >= 0
            ? value
            : throw new UsageException($"option '--{option}': '{value}' is not one of {string.Join(", ", allowed)}");

    private static string[] List(string option, string value) =>
        NonEmpty(option, value).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Absolute(string option, string path) =>
        path.StartsWith('/') ? path : throw new UsageException($"option '--{option}': '{path}' is not an absolute path");

    /// <summary>SRC:DEST, or SRC alone for the same path inside the new root.</summary>
    private static MountRequest ParseBind(string option, string value, MountKind kind)
    {
        string[] parts = NonEmpty(option, value).Split(':');
        return parts.Length switch
        {
            1 => new MountRequest(kind, parts[0], Absolute(option, parts[0]), string.Empty),
            2 when parts[0].Length > 0 => new MountRequest(kind, parts[0], Absolute(option, parts[1]), string.Empty),
            _ => throw new UsageException($"option '--{option}': '{value}' is not SRC:DEST"),
        };
    }

    /// <summary>DEST[:size=1m,mode=1777].</summary>
    private static MountRequest ParseTmpfs(string value)
    {
        int colon = NonEmpty("tmpfs", value).IndexOf(':');
        string dest = colon < 0 ? value : value.Substring(0, colon);
        string mountOptions = colon < 0 ? string.Empty : value.Substring(colon + 1);
        foreach (string option in mountOptions.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string key = option.Split('=')[0];
            if (key is not ("size" or "mode" or "nr_inodes" or "uid" or "gid"))
            {
                throw new UsageException($"option '--tmpfs': '{option}' is not size=, mode=, nr_inodes=, uid= or gid=");
            }
        }

        return new MountRequest(MountKind.Tmpfs, "tmpfs", Absolute("tmpfs", dest), mountOptions);
    }

    /// <summary>IMG:DEST[:ro].</summary>
    private static MountRequest ParseImage(string value)
    {
        string[] parts = NonEmpty("mount-image", value).Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || (parts.Length == 3 && parts[2] != "ro"))
        {
            throw new UsageException($"option '--mount-image': '{value}' is not IMG:DEST[:ro]");
        }

        return new MountRequest(MountKind.Image, parts[0], Absolute("mount-image", parts[1]), parts.Length == 3 ? "ro" : string.Empty);
    }

    /// <summary>[ADDR:]PORT[/udp]; an IPv6 address goes in brackets: [::1]:7.</summary>
    private static ListenRequest ParseListen(string value)
    {
        string spec = NonEmpty("listen", value);
        bool udp = spec.EndsWith("/udp", StringComparison.Ordinal);
        spec = udp ? spec.Substring(0, spec.Length - 4) : spec.EndsWith("/tcp", StringComparison.Ordinal) ? spec.Substring(0, spec.Length - 4) : spec;
        int colon = spec.LastIndexOf(':');
        string address = colon < 0 ? "0.0.0.0" : spec.Substring(0, colon).Trim('[', ']');
        string port = colon < 0 ? spec : spec.Substring(colon + 1);
        if (!Addresses.IsValid(address))
        {
            throw new UsageException($"option '--listen': '{address}' is not an IP address");
        }

        return new ListenRequest(address, ParseInt("listen", port, 1, 65535), udp);
    }
}
