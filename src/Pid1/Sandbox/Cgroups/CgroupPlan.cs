using System;
using System.Collections.Generic;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>A file write with the option that asked for it, for the error message.</summary>
/// <remarks>A class, not a record (nor are the classes after it): nothing compares them by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class PlannedWrite(string Option, CgroupFile File)
{
    public string Option { get; } = Option;

    public CgroupFile File { get; } = File;
}

/// <summary>
/// What to do in one hierarchy: the controllers to enable for children (v2), the files to write in order,
/// and on v2 the device rules to compile into a BPF program (on v1 they are devices.allow/deny writes).
/// </summary>
internal sealed class CgroupTarget(Hierarchy Hierarchy, IReadOnlyList<string> Enable, IReadOnlyList<PlannedWrite> Writes, IReadOnlyList<DeviceRule> DeviceProgram)
{
    public Hierarchy Hierarchy { get; } = Hierarchy;

    public IReadOnlyList<string> Enable { get; } = Enable;

    public IReadOnlyList<PlannedWrite> Writes { get; } = Writes;

    public IReadOnlyList<DeviceRule> DeviceProgram { get; } = DeviceProgram;
}

/// <summary>
/// The spec placed on this host's layout, as data: one target per hierarchy used. Limits the host cannot
/// apply (controller missing, no v2 equivalent) throw a <see cref="SetupException"/> before anything is
/// created, or with --cgroup-optional become warnings and are left out.
/// </summary>
internal sealed class CgroupPlan(string Name, IReadOnlyList<CgroupTarget> Targets)
{
    public string Name { get; } = Name;

    public IReadOnlyList<CgroupTarget> Targets { get; } = Targets;

    public static CgroupPlan Build(CgroupSpec spec, CgroupLayout layout, Action<string> warn)
    {
        var targets = new Dictionary<Hierarchy, TargetLists>();
        TargetLists TargetIn(Hierarchy h)
        {
            if (!targets.TryGetValue(h, out var t))
            {
                targets[h] = t = new TargetLists();
            }

            return t;
        }

        void CannotApply(string option, string why)
        {
            string message = $"cannot apply --{option}: {why} (layout: {layout.Kind})";
            if (!spec.Optional)
            {
                throw new SetupException(message);
            }

            warn(message + "; ignored (--cgroup-optional)");
        }

        foreach (CgroupLimit limit in spec.Limits)
        {
            Hierarchy? h = layout.For(limit.V1Controller, limit.V2Controller);
            if (h is null)
            {
                CannotApply(limit.Option, $"no usable {limit.V1Controller} controller");
                continue;
            }

            IReadOnlyList<CgroupFile>? files = h.Version == 1 ? limit.V1 : limit.V2;
            if (files is null)
            {
                CannotApply(limit.Option, limit.V2Missing);
                continue;
            }

            var target = TargetIn(h);
            if (h.Version == 2 && !target.Enable.Contains(limit.V2Controller))
            {
                target.Enable.Add(limit.V2Controller);
            }

            foreach (CgroupFile f in files)
            {
                target.Writes.Add(new PlannedWrite(limit.Option, f));
            }
        }

        PlaceDevices(spec, layout, TargetIn, CannotApply);
        if (layout.Grouping is Hierarchy grouping)
        {
            TargetIn(grouping);
        }
        else if (targets.Count == 0)
        {
            CannotApply("cgroup", "no cgroup hierarchy is mounted");
        }

        var planned = new List<CgroupTarget>();
        foreach (var t in targets)
        {
            planned.Add(new CgroupTarget(t.Key, t.Value.Enable, t.Value.Writes, t.Value.Program));
        }

        return new CgroupPlan(spec.Name, planned);
    }

    /// <summary>v1: devices.deny/allow lines in the devices hierarchy; v2: a BPF program (needs no controller).</summary>
    private static void PlaceDevices(
        CgroupSpec spec,
        CgroupLayout layout,
        Func<Hierarchy, TargetLists> targetIn,
        Action<string, string> cannotApply)
    {
        if (spec.Devices.Count == 0)
        {
            return;
        }

        if (layout.For("devices", string.Empty) is { Version: 1 } v1)
        {
            foreach (DeviceRule r in spec.Devices)
            {
                targetIn(v1).Writes.Add(new PlannedWrite(
                    r.Allow ? "device-allow" : "device-deny",
                    new CgroupFile(r.Allow ? "devices.allow" : "devices.deny", r.ToV1())));
            }
        }
        else if (layout.Grouping is { Version: 2 } v2)
        {
            targetIn(v2).Program.AddRange(spec.Devices);
        }
        else
        {
            cannotApply(spec.Devices[0].Allow ? "device-allow" : "device-deny", "no devices controller and no cgroup v2");
        }
    }

    /// <summary>
    /// What goes into one hierarchy. A class, not a value tuple: a tuple of three references behind a Func is
    /// a shared generic the runtime would build at run time, which pulls the ~80 KB type loader into the binary.
    /// </summary>
    private sealed class TargetLists
    {
        public List<string> Enable { get; } = [];

        public List<PlannedWrite> Writes { get; } = [];

        public List<DeviceRule> Program { get; } = [];
    }
}
