using System;
using System.IO;
using System.Threading;
using Pid1.Native;
using Pid1.Sandbox;

namespace Pid1.Lifecycle;

/// <summary>
/// Freezes and thaws a sandbox's cgroup: v1 freezer.state (FROZEN/THAWED) when the sandbox has a freezer
/// cgroup of its own (hybrid hosts), else v2 cgroup.freeze. A sandbox in the root cgroup cannot be frozen
/// without freezing the host, so that is an error.
/// </summary>
internal static class Freezer
{
    private const string V1Root = "/sys/fs/cgroup/freezer";

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
        if (s.Freezer != "/" && Files.IsFile(V1Root + s.Freezer + "/freezer.state"))
        {
            return (V1Root + s.Freezer + "/freezer.state", true);
        }

        string v2Root = Files.IsFile("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
        if (s.Cgroup != "/" && Files.IsFile(v2Root + s.Cgroup + "/cgroup.freeze"))
        {
            return (v2Root + s.Cgroup + "/cgroup.freeze", false);
        }

        return null;
    }

    private static string Read(string file) => Files.ReadTextIfPresent(file)?.Trim() ?? string.Empty;

    private static void Write(string file, string value) => Check.Ok(Files.WriteText(file, value), $"write {value} to {file}");
}
