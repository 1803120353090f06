using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Pid1.Lifecycle;

/// <summary>
/// What /run/pid1/NAME records about a running sandbox. Pids come with their start time (boot ticks from
/// /proc/PID/stat), so an entry whose pid was reused by another process is recognised as stale.
/// </summary>
internal sealed record SandboxState
{
    public string Name { get; init; } = string.Empty;

    /// <summary>The supervising pid1 (the one to signal for a graceful stop).</summary>
    public int Pid { get; init; }

    public ulong PidStart { get; init; }

    /// <summary>pid1's main child: in every namespace of the sandbox (0 until the program has started).</summary>
    public int Child { get; init; }

    public ulong ChildStart { get; init; }

    public int Session { get; init; }

    /// <summary>Namespace kind → inode of the main child's namespaces ("pid" → 4026532189).</summary>
    public IReadOnlyList<(string Kind, ulong Inode)> Namespaces { get; init; } = [];

    /// <summary>The main child's cgroup v2 path, "/" when it has none of its own.</summary>
    public string Cgroup { get; init; } = "/";

    /// <summary>The main child's cgroup v1 freezer path (hybrid hosts), "/" when none.</summary>
    public string Freezer { get; init; } = "/";

    /// <summary>Unix time in milliseconds when pid1 started the sandbox.</summary>
    public long Started { get; init; }

    public int GraceMilliseconds { get; init; }

    /// <summary>--mount-image IMAGE:DEST pairs, for checkpoint.</summary>
    public IReadOnlyList<(string Image, string Destination)> Images { get; init; } = [];

    public string Command { get; init; } = string.Empty;

    public ulong PidNamespace => Inode("pid");

    public ulong Inode(string kind)
    {
        foreach ((string k, ulong inode) in Namespaces)
        {
            if (k == kind)
            {
                return inode;
            }
        }

        return 0;
    }

    /// <summary>"key=value" lines; values never contain a newline (the command's are replaced by spaces).</summary>
    public string Serialize()
    {
        var text = new StringBuilder();
        Line(text, "name", Name);
        Line(text, "pid", Number(Pid));
        Line(text, "pid-start", Number(PidStart));
        Line(text, "child", Number(Child));
        Line(text, "child-start", Number(ChildStart));
        Line(text, "session", Number(Session));
        foreach ((string kind, ulong inode) in Namespaces)
        {
            Line(text, "ns", $"{kind}:{Number(inode)}");
        }

        Line(text, "cgroup", Cgroup);
        Line(text, "freezer", Freezer);
        Line(text, "started", Number(Started));
        Line(text, "grace", Number(GraceMilliseconds));
        foreach ((string image, string destination) in Images)
        {
            Line(text, "image", $"{destination}={image}");
        }

        Line(text, "command", Command);
        return text.ToString();
    }

    /// <summary>Null when the text is not a complete state record (a torn or foreign file).</summary>
    public static SandboxState? Parse(string text)
    {
        var state = new SandboxState();
        var namespaces = new List<(string, ulong)>();
        var images = new List<(string, string)>();
        try
        {
            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = line.IndexOf('=');
                if (eq > 0)
                {
                    state = Apply(state, line.Substring(0, eq), line.Substring(eq + 1), namespaces, images);
                }
            }
        }
        catch (FormatException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }

        return state.Pid > 0 && state.PidStart > 0 && state.Name.Length > 0
            ? state with { Namespaces = namespaces, Images = images }
            : null;
    }

    private static SandboxState Apply(SandboxState s, string key, string value, List<(string, ulong)> namespaces, List<(string, string)> images)
    {
        switch (key)
        {
            case "ns":
                int colon = value.IndexOf(':');
                namespaces.Add((value.Substring(0, colon), ulong.Parse(value.AsSpan(colon + 1), CultureInfo.InvariantCulture)));
                return s;
            case "image":
                int eq = value.IndexOf('=');
                images.Add((value.Substring(eq + 1), value.Substring(0, eq)));
                return s;
        }

        return key switch
        {
            "name" => s with { Name = value },
            "pid" => s with { Pid = int.Parse(value, CultureInfo.InvariantCulture) },
            "pid-start" => s with { PidStart = ulong.Parse(value, CultureInfo.InvariantCulture) },
            "child" => s with { Child = int.Parse(value, CultureInfo.InvariantCulture) },
            "child-start" => s with { ChildStart = ulong.Parse(value, CultureInfo.InvariantCulture) },
            "session" => s with { Session = int.Parse(value, CultureInfo.InvariantCulture) },
            "cgroup" => s with { Cgroup = value },
            "freezer" => s with { Freezer = value },
            "started" => s with { Started = long.Parse(value, CultureInfo.InvariantCulture) },
            "grace" => s with { GraceMilliseconds = int.Parse(value, CultureInfo.InvariantCulture) },
            "command" => s with { Command = value },
            _ => s,
        };
    }

    private static void Line(StringBuilder text, string key, string value) =>
        text.Append(key).Append('=').Append(value.Replace('\n', ' ')).Append('\n');

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The name only: the generated ToString, kept in the binary because object.ToString is virtual, formats every member.</summary>
    public override string ToString() => nameof(SandboxState);
}
