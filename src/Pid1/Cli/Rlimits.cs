using System;
using System.Globalization;
using Pid1.Native;

namespace Pid1.Cli;

/// <summary>--rlimit NAME=SOFT[:HARD], with prlimit(1)'s names and "unlimited".</summary>
internal static class Rlimits
{
    private static readonly NamedLimit[] Names =
    {
        new("AS", Libc.RLIMIT_AS), new("CORE", Libc.RLIMIT_CORE), new("CPU", Libc.RLIMIT_CPU), new("DATA", Libc.RLIMIT_DATA),
        new("FSIZE", Libc.RLIMIT_FSIZE), new("LOCKS", Libc.RLIMIT_LOCKS), new("MEMLOCK", Libc.RLIMIT_MEMLOCK),
        new("MSGQUEUE", Libc.RLIMIT_MSGQUEUE), new("NICE", Libc.RLIMIT_NICE), new("NOFILE", Libc.RLIMIT_NOFILE),
        new("NPROC", Libc.RLIMIT_NPROC), new("RSS", Libc.RLIMIT_RSS), new("RTPRIO", Libc.RLIMIT_RTPRIO),
        new("RTTIME", Libc.RLIMIT_RTTIME), new("SIGPENDING", Libc.RLIMIT_SIGPENDING), new("STACK", Libc.RLIMIT_STACK),
    };

    public static RlimitRequest Parse(string value)
    {
        int equals = value.IndexOf('=');
        string name = equals < 0 ? value : value.Substring(0, equals).ToUpperInvariant();
        name = name.StartsWith("RLIMIT_", StringComparison.Ordinal) ? name.Substring(7) : name;
        int index = Names.Length - 1;
        while (index >= 0 && Names[index].Name != name)
        {
            // A loop, not Array.FindIndex: a delegate over a tuple is a shared generic the runtime would build
            // at run time, which pulls the ~80 KB type loader into the binary.
            index--;
        }
        if (equals < 0 || index < 0)
        {
            throw new UsageException($"option '--rlimit': '{value}' is not NAME=SOFT[:HARD] with a name such as NOFILE");
        }

        string[] limits = value.Substring(equals + 1).Split(':');
        ulong soft = Limit(value, limits[0]);
        ulong hard = limits.Length > 1 ? Limit(value, limits[1]) : soft;
        if (limits.Length > 2 || soft > hard)
        {
            throw new UsageException($"option '--rlimit': '{value}' has a soft limit above the hard one");
        }

        return new RlimitRequest(name, Names[index].Resource, soft, hard);
    }

    private static ulong Limit(string value, string limit) =>
        limit is "unlimited" or "infinity" ? Libc.RLIM_INFINITY
        : ulong.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) ? n
        : throw new UsageException($"option '--rlimit': '{value}' has a limit that is not a number or 'unlimited'");

    /// <summary>A prlimit(1) name and its RLIMIT_ number. A class, not a tuple: an array of tuples puts the boxed tuple type, with its Equals,
    /// GetHashCode, CompareTo and ToString, into the binary for this one table.</summary>
    private sealed class NamedLimit(string name, int resource)
    {
        public string Name { get; } = name;

        public int Resource { get; } = resource;
    }
}
