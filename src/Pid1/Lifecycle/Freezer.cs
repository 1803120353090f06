using System;
using System.IO;
using System.Threading;
using Pid1.Native;
using Pid1.Sandbox;
using Pid1.Sandbox.Cgroups;

namespace Pid1.Lifecycle;

/// <summary>
/// Freezes and thaws a sandbox's cgroup: v1 freezer.state (FROZEN/THAWED) when the sandbox has a freezer
/// cgroup of its own (hybrid hosts), else v2 cgroup.freeze. A sandbox in the root cgroup cannot be frozen
/// without freezing the host, so that is an error.
/// </summary>
internal static class Freezer
{
    private static CgroupLayout? layout;

    public static bool IsFrozen(SandboxState s) => Control(s) switch
    {
        (string file, true) => Read(file) == "FROZEN",
        (string file, false) => Read(file) == "1",
        _ => false,
    };

    /// <summary>Freezes and waits until every task is frozen (v1 passes through FREEZING).</summary>
    public static void Freeze(SandboxState s)
    {
        (string file, bool v1) = Control(s) ?? throw new SetupException(
            $"cannot freeze {s.Name}: it has no cgroup of its own (start it in one, e.g. with --cgroup)");
        Write(file, v1 ? "FROZEN" : "1");
        string events = Path.Combine(Path.GetDirectoryName(file)!, "cgroup.events");
        for (int i = 0; i < 500; i++)
        {
            if (v1 ? Read(file) == "FROZEN" : Files.ReadText(events).Contains("frozen 1", StringComparison.Ordinal))
            {
                return;
            }

            Thread.Sleep(10);
        }

        Thaw(s);
        throw new SetupException($"freeze {file}: the sandbox did not freeze within 5s");
    }

    public static void Thaw(SandboxState s)
    {
        if (Control(s) is (string file, bool v1))
        {
            Write(file, v1 ? "THAWED" : "0");
        }
    }

    /// <summary>The freezer control file and whether it is v1; null when the sandbox has no cgroup of its own.</summary>
    private static (string File, bool V1)? Control(SandboxState s)
    {
        if (s.Freezer != "/" && Directory(new CgroupMembership("freezer", s.Freezer)) is string v1 && Files.IsFile(v1 + "/freezer.state"))
        {
            return (v1 + "/freezer.state", true);
        }

        if (s.Cgroup != "/" && Directory(new CgroupMembership(string.Empty, s.Cgroup)) is string v2 && Files.IsFile(v2 + "/cgroup.freeze"))
        {
            return (v2 + "/cgroup.freeze", false);
        }

        return null;
    }

    /// <summary>Where the cgroup is mounted here; the mounts are read once (`pid1 list` asks for every sandbox).</summary>
    private static string? Directory(CgroupMembership cgroup) => (layout ??= CgroupLayout.Detect()).Directory(cgroup);

    private static string Read(string file) => Files.ReadTextIfPresent(file)?.Trim() ?? string.Empty;

    private static void Write(string file, string value) => Check.Ok(Files.WriteText(file, value), $"write {value} to {file}");
}
