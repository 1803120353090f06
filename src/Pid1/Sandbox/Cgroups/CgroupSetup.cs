using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>The Launcher's entry: validate and place the cgroup options on this host, before anything is made.</summary>
internal static unsafe class CgroupSetup
{
    /// <summary>Null when no cgroup was asked for; throws for bad input and for limits the host cannot apply.</summary>
    public static CgroupPlan? Plan(Options options)
    {
        // Runs on every start: without a cgroup option, read nothing of the host (two files, four flocks).
        if (!CgroupSpec.IsRequested(options))
        {
            return null;
        }

        CgroupSpec? spec = CgroupSpec.From(options, ReadHost());
        return spec is null ? null : CgroupPlan.Build(spec, CgroupLayout.Detect(), Log.Warning);
    }

    private static HostFacts ReadHost() => new(
        CgroupUnits.ReadList(ReadOr("/sys/devices/system/cpu/online", "0")),
        CgroupUnits.ReadList(ReadOr("/sys/devices/system/node/online", "0")),
        LookupDevice);

    private static string ReadOr(string path, string fallback) => Files.ReadTextIfPresent(path) ?? fallback;

    /// <summary>stat(2) a device node: its type and numbers; null when it is missing or not a device.</summary>
    private static DeviceNumber? LookupDevice(string path)
    {
        statx st;
        int result = Files.Stat(path, Libc.STATX_TYPE, &st);
        uint type = st.stx_mode & Libc.S_IFMT;
        return result < 0 || (type != Libc.S_IFCHR && type != Libc.S_IFBLK)
            ? null
            : new DeviceNumber(type == Libc.S_IFCHR ? 'c' : 'b', st.stx_rdev_major, st.stx_rdev_minor);
    }
}
