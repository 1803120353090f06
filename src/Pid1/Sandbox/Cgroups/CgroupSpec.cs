using System;
using System.Collections.Generic;
using System.Globalization;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>One interface file and the value written to it.</summary>
/// <remarks>A class, not a record (nor are the classes after it): nothing compares them by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class CgroupFile(string Name, string Value)
{
    public string Name { get; } = Name;

    public string Value { get; } = Value;
}

/// <summary>
/// One limit, in both versions: the controller and the files it writes on v1 and on v2. A null V2 means
/// cgroup v2 has no such knob (<see cref="V2Missing"/> says why): the host "cannot apply" it.
/// </summary>
internal sealed class CgroupLimit(string Option, string V1Controller, IReadOnlyList<CgroupFile> V1, string V2Controller, IReadOnlyList<CgroupFile>? V2, string V2Missing = "")
{
    public string Option { get; } = Option;

    public string V1Controller { get; } = V1Controller;

    public IReadOnlyList<CgroupFile> V1 { get; } = V1;

    public string V2Controller { get; } = V2Controller;

    public IReadOnlyList<CgroupFile>? V2 { get; } = V2;

    public string V2Missing { get; } = V2Missing;

    public static CgroupLimit Same(string option, string controller, string file, string value) =>
        new(option, controller, [new(file, value)], controller, [new(file, value)]);
}

/// <summary>What the host's cgroup, CPUs and device nodes look like to the parser; a fake in unit tests.</summary>
internal sealed class HostFacts(IReadOnlySet<int> OnlineCpus, IReadOnlySet<int> OnlineMems, Func<string, DeviceNumber?> Lookup)
{
    public IReadOnlySet<int> OnlineCpus { get; } = OnlineCpus;

    public IReadOnlySet<int> OnlineMems { get; } = OnlineMems;

    public Func<string, DeviceNumber?> Lookup { get; } = Lookup;
}

/// <summary>
/// The cgroup the command line asks for, validated and converted in full before anything is created: the
/// name, every limit with its v1 and v2 files, the device rules. Bad input is a <see cref="UsageException"/>
/// naming the option and value.
/// </summary>
internal sealed class CgroupSpec(string Name, bool Optional, IReadOnlyList<CgroupLimit> Limits, IReadOnlyList<DeviceRule> Devices)
{
    public string Name { get; } = Name;

    public bool Optional { get; } = Optional;

    public IReadOnlyList<CgroupLimit> Limits { get; } = Limits;

    public IReadOnlyList<DeviceRule> Devices { get; } = Devices;

    /// <summary>Whether any cgroup option was given at all.</summary>
    public static bool IsRequested(Options options) =>
        options.CgroupName is not null || options.CgroupLimits.Count > 0 || options.CgroupDeviceRules.Count > 0;

    /// <summary>Null when no cgroup option was given.</summary>
    public static CgroupSpec? From(Options options, HostFacts host)
    {
        if (!IsRequested(options))
        {
            return null;
        }

        string name = options.CgroupName is string given ? ValidateName(given) : $"pid1-{Environment.ProcessId}";
        var limits = new CgroupLimitParser(options.CgroupLimits, host).Parse();
        var throttles = new List<DeviceThrottle>();
        var devices = new List<DeviceRule>();
        foreach ((string option, string value) in options.CgroupDeviceRules)
        {
            if (option is not ("device-deny" or "device-allow"))
            {
                throttles.Add(DeviceThrottle.Parse(option, value, host.Lookup));
            }
        }

        // Parsed after the throttles, as before: with two bad values the same one is reported.
        foreach ((string option, string value) in options.CgroupDeviceRules)
        {
            if (option is "device-deny" or "device-allow")
            {
                devices.Add(DeviceRule.Parse(option, value, host.Lookup));
            }
        }

        limits.AddRange(ThrottleLimits(throttles));
        return new CgroupSpec(name, options.CgroupOptional, limits, devices);
    }

    /// <summary>A path below pid1's own cgroup: nested names are fine, escaping it is not.</summary>
    public static string ValidateName(string name)
    {
        string[] parts = name.Split('/');
        bool valid = !name.StartsWith('/') && !name.EndsWith('/')
            && Array.TrueForAll(parts, p => p.Length is > 0 and < 256 && p != "." && p != ".." && !p.Contains('\0') && !p.Contains('\n'));
        return valid ? name : throw CgroupUnits.Bad("cgroup", name, "is not a relative cgroup name (no leading '/', no '.' or '..' parts)");
    }

    /// <summary>One write per throttle on v1; on v2 one io.max line per device with all its keys.</summary>
    private static List<CgroupLimit> ThrottleLimits(List<DeviceThrottle> throttles)
    {
        // Devices in order of first mention, each with its throttles in the order given.
        var devices = new List<List<DeviceThrottle>>();
        foreach (DeviceThrottle t in throttles)
        {
            List<DeviceThrottle>? device = devices.Find(d => d[0].Major == t.Major && d[0].Minor == t.Minor);
            if (device is null)
            {
                devices.Add(device = []);
            }

            device.Add(t);
        }

        var limits = new List<CgroupLimit>();
        foreach (List<DeviceThrottle> device in devices)
        {
            var options = new List<string>();
            var v1 = new List<CgroupFile>();
            var v2Keys = new List<string>();
            foreach (DeviceThrottle t in device)
            {
                if (!options.Contains(t.Option))
                {
                    options.Add(t.Option);
                }

                v1.Add(new CgroupFile(t.V1File, $"{t.Major}:{t.Minor} {t.Rate}"));
                v2Keys.Add($"{t.V2Key}={t.Rate}");
            }

            limits.Add(new CgroupLimit(
                string.Join(", --", options),
                "blkio",
                v1,
                "io",
                [new CgroupFile("io.max", $"{device[0].Major}:{device[0].Minor} " + string.Join(' ', v2Keys))]));
        }

        return limits;
    }
}

/// <summary>The --memory … --blkio-weight options to limits, in docker's units and with docker's rules.</summary>
internal sealed class CgroupLimitParser(IReadOnlyDictionary<string, string> raw, HostFacts host)
{
    private readonly List<CgroupLimit> limits = [];

    public List<CgroupLimit> Parse()
    {
        ParseMemory();
        ParseCpu();
        if (Get("cpuset-cpus") is string cpus)
        {
            string list = CgroupUnits.ParseCpuList("cpuset-cpus", cpus, host.OnlineCpus);
            limits.Add(CgroupLimit.Same("cpuset-cpus", "cpuset", "cpuset.cpus", list));
        }

        if (Get("cpuset-mems") is string mems)
        {
            string list = CgroupUnits.ParseCpuList("cpuset-mems", mems, host.OnlineMems);
            limits.Add(CgroupLimit.Same("cpuset-mems", "cpuset", "cpuset.mems", list));
        }

        if (Get("pids-limit") is string pids)
        {
            // docker: 0 or -1 is unlimited.
            long max = CgroupUnits.ParseInteger("pids-limit", pids, -1, int.MaxValue);
            limits.Add(CgroupLimit.Same("pids-limit", "pids", "pids.max", max <= 0 ? "max" : Text(max)));
        }

        if (Get("blkio-weight") is string weight)
        {
            long w = CgroupUnits.ParseInteger("blkio-weight", weight, 10, 1000);
            limits.Add(new("blkio-weight", "blkio", [new("blkio.weight", Text(w))], "io", [new("io.weight", $"default {CgroupUnits.BlkioWeightToIoWeight(w)}")]));
        }

        return limits;
    }

    private void ParseMemory()
    {
        long? memory = Get("memory") is string m ? Positive("memory", m, CgroupUnits.ParseSize("memory", m)) : null;
        if (memory is long limit)
        {
            limits.Add(new("memory", "memory", [new("memory.limit_in_bytes", Text(limit))], "memory", [new("memory.max", Text(limit))]));
        }

        if (Get("memory-swap") is string s)
        {
            // docker: memory-swap is memory plus swap; -1 is unlimited swap; it needs --memory.
            long swap = s == "-1" ? -1 : CgroupUnits.ParseSize("memory-swap", s);
            if (memory is not long mem)
            {
                throw CgroupUnits.Bad("memory-swap", s, "needs --memory as well (it is memory plus swap)");
            }

            if (swap != -1 && swap < mem)
            {
                throw CgroupUnits.Bad("memory-swap", s, "is smaller than --memory (it is memory plus swap)");
            }

            limits.Add(new("memory-swap", "memory", [new("memory.memsw.limit_in_bytes", Text(swap))], "memory", [new("memory.swap.max", swap == -1 ? "max" : Text(swap - mem))]));
        }

        if (Get("memory-swappiness") is string sw)
        {
            long swappiness = CgroupUnits.ParseInteger("memory-swappiness", sw, 0, 100);
            limits.Add(new("memory-swappiness", "memory", [new("memory.swappiness", Text(swappiness))], "memory", null, "cgroup v2 has no per-cgroup swappiness"));
        }
    }

    private void ParseCpu()
    {
        if (Get("cpu-shares") is string shares)
        {
            long s = CgroupUnits.ParseInteger("cpu-shares", shares, 2, 262144);
            limits.Add(new("cpu-shares", "cpu", [new("cpu.shares", Text(s))], "cpu", [new("cpu.weight", Text(CgroupUnits.SharesToWeight(s)))]));
        }

        string? period = Get("cpu-period");
        string? quota = Get("cpu-quota");
        if (Get("cpus") is string cpus)
        {
            if (period is not null || quota is not null)
            {
                throw CgroupUnits.Bad("cpus", cpus, "conflicts with --cpu-period and --cpu-quota (it sets both)");
            }

            AddCpuMax("cpus", CgroupUnits.DefaultCpuPeriod, CgroupUnits.ParseCpusQuota("cpus", cpus, host.OnlineCpus.Count));
        }
        else if (period is not null || quota is not null)
        {
            // A quota alone runs against the kernel's default period (100 ms), as in docker.
            long? p = period is null ? null : CgroupUnits.ParseInteger("cpu-period", period, 1000, 1_000_000);
            long? q = quota is null ? null : quota == "-1" ? -1 : CgroupUnits.ParseInteger("cpu-quota", quota, 1000, long.MaxValue / 2);
            AddCpuMax(quota is null ? "cpu-period" : period is null ? "cpu-quota" : "cpu-period, --cpu-quota", p, q);
        }
    }

    /// <summary>v1: the period first (the quota is checked against it); v2: one cpu.max "QUOTA PERIOD".</summary>
    private void AddCpuMax(string option, long? period, long? quota)
    {
        var v1 = new List<CgroupFile>();
        if (period is long p)
        {
            v1.Add(new("cpu.cfs_period_us", Text(p)));
        }

        if (quota is long q)
        {
            v1.Add(new("cpu.cfs_quota_us", Text(q)));
        }

        string v2Quota = quota is long max && max > 0 ? Text(max) : "max";
        limits.Add(new(option, "cpu", v1, "cpu", [new("cpu.max", $"{v2Quota} {Text(period ?? CgroupUnits.DefaultCpuPeriod)}")]));
    }

    private string? Get(string option) => raw.TryGetValue(option, out string? value) ? value : null;

    private static long Positive(string option, string value, long n) => n > 0 ? n : throw CgroupUnits.Bad(option, value, "must be more than 0");

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);
}
