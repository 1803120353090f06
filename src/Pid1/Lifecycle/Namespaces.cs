using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>The namespace kinds as /proc/PID/ns names them, with the setns(2) flag of each.</summary>
internal static class Namespaces
{
    /// <summary>In joining order for `pid1 exec`: user first (it grants the rights to join the others).</summary>
    public static readonly string[] Kinds = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"];

    public static ulong Flag(string kind) => kind switch
    {
        "user" => Libc.CLONE_NEWUSER,
        "mnt" => Libc.CLONE_NEWNS,
        "pid" => Libc.CLONE_NEWPID,
        "net" => Libc.CLONE_NEWNET,
        "uts" => Libc.CLONE_NEWUTS,
        "ipc" => Libc.CLONE_NEWIPC,
        "cgroup" => Libc.CLONE_NEWCGROUP,
        "time" => Libc.CLONE_NEWTIME,
        _ => 0,
    };
}
