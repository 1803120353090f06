using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Pid1.Native;

namespace Pid1.Sandbox.Cgroups;

/// <summary>
/// The cgroup pid1 made, in every hierarchy of its plan: created and limited before the child runs, joined by
/// the child's pid while the child waits (hazard 8), emptied and removed when pid1 is done — also when setup
/// fails half-way, so nothing is left behind.
/// </summary>
internal sealed unsafe class Cgroup
{
    private readonly CgroupPlan plan;
    private readonly bool optional;
    private readonly List<string> leaves = []; // the directories the child joins, one per hierarchy
    private readonly List<string> created = [];

    private Cgroup(CgroupPlan plan, bool optional)
    {
        this.plan = plan;
        this.optional = optional;
    }

    public static Cgroup Create(CgroupPlan plan, bool optional)
    {
        var cgroup = new Cgroup(plan, optional);
        try
        {
            foreach (CgroupTarget target in plan.Targets)
            {
                cgroup.CreateIn(target);
            }
        }
        catch
        {
            cgroup.Remove();
            throw;
        }

        return cgroup;
    }

    /// <summary>Moves <paramref name="pid"/> into the cgroup in every hierarchy; runs while the child waits.</summary>
    public void Join(int pid)
    {
        string text = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string leaf in leaves)
        {
            int result = WriteFile(leaf + "/cgroup.procs", text);
            if (result < 0)
            {
                // Formatted only on failure: the child waits while this runs.
                throw new SetupException($"join {leaf} (write pid {text} to cgroup.procs)", -result);
            }
        }
    }

    /// <summary>Kills what is left inside, waits until it is empty and removes it. Never throws.</summary>
    public void Remove()
    {
        if (RemovedAtOnce())
        {
            return;
        }

        foreach (string leaf in leaves)
        {
            Empty(leaf);
        }

        for (int i = created.Count - 1; i >= 0; i--)
        {
            RemoveDirectory(created[i]);
        }
    }

    private void CreateIn(CgroupTarget target)
    {
        string dir = target.Hierarchy.Dir;
        string[] parts = plan.Name.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            // v2: a child gets only the controllers its parent enables in cgroup.subtree_control.
            foreach (string controller in target.Enable)
            {
                EnableController(dir, controller);
            }

            string child = dir + "/" + parts[i];
            int made = MakeDirectory(child, isLeaf: i == parts.Length - 1);
            if (made == 0)
            {
                created.Add(child);
                if (target.Hierarchy.Version == 1 && target.Hierarchy.Controllers.Contains("cpuset"))
                {
                    // A v1 cpuset starts with no CPUs and no memory nodes: no task could join it.
                    CopyFromParent(dir, child, "cpuset.cpus");
                    CopyFromParent(dir, child, "cpuset.mems");
                }
            }

            dir = child;
        }

        leaves.Add(dir);
        foreach (PlannedWrite write in target.Writes)
        {
            Apply(dir, write);
        }

        if (target.DeviceProgram.Count > 0)
        {
            AttachDeviceProgram(dir, target.DeviceProgram);
        }
    }

    private static void EnableController(string dir, string controller)
    {
        int result = WriteFile(dir + "/cgroup.subtree_control", "+" + controller);
        if (result == -Libc.EBUSY)
        {
            // v2's "no internal processes" rule: a cgroup with processes of its own cannot pass controllers on.
            throw new SetupException($"enable the {controller} controller in {dir}/cgroup.subtree_control: EBUSY ({dir} has processes of its own, pid1's among them; start pid1 in a delegated cgroup whose processes live in a leaf)");
        }

        Check.Ok(result, $"enable the {controller} controller in {dir}/cgroup.subtree_control");
    }

    /// <summary>0 when made; 1 when an intermediate directory already existed (kept on removal).</summary>
    private static int MakeDirectory(string path, bool isLeaf)
    {
        byte* p = CStrings.From(path);
        int result = Libc.mkdir(p, 0x1ed);
        System.Runtime.InteropServices.NativeMemory.Free(p);
        if (result == -Libc.EEXIST)
        {
            return isLeaf ? throw new SetupException($"create cgroup {path}: it already exists (choose another --cgroup name)") : 1;
        }

        Check.Ok(result, $"create cgroup {path}");
        return 0;
    }

    private void Apply(string dir, PlannedWrite write)
    {
        string path = dir + "/" + write.File.Name;
        int result = WriteFile(path, write.File.Value);
        if (result == -Libc.ENOENT)
        {
            // The controller is there but not this knob (no swap accounting, no BFQ, no iocost).
            string message = $"cannot apply --{write.Option}: {path} does not exist on this host";
            if (!optional)
            {
                throw new SetupException(message);
            }

            Log.Warning(message + "; ignored (--cgroup-optional)");
            return;
        }

        Check.Ok(result, $"--{write.Option}: write '{write.File.Value}' to {path}");
    }

    private static void CopyFromParent(string parent, string child, string file)
    {
        string value = Files.ReadText(parent + "/" + file).Trim();
        Check.Ok(WriteFile(child + "/" + file, value), $"copy {file} '{value}' from {parent} to {child}");
    }

    /// <summary>BPF_PROG_LOAD the compiled rules, then BPF_PROG_ATTACH them to the cgroup directory.</summary>
    private static void AttachDeviceProgram(string dir, IReadOnlyList<DeviceRule> rules)
    {
        byte[] code = DeviceProgram.ToBytes(DeviceProgram.Compile(rules));
        int program;
        fixed (byte* insns = code)
        {
            var load = new bpf_attr
            {
                prog_type = Libc.BPF_PROG_TYPE_CGROUP_DEVICE,
                insn_cnt = (uint)(code.Length / 8),
                insns = (ulong)insns,
                license = (ulong)"GPL\0"u8.AsPointer(),
            };
            program = Check.Ok(Libc.bpf(Libc.BPF_PROG_LOAD, &load, (uint)sizeof(bpf_attr)), $"load the BPF device program for {dir}");
        }

        int fd = Files.Open(dir, Libc.O_RDONLY | Libc.O_DIRECTORY, 0);
        try
        {
            Check.Ok(fd, $"open {dir}");

            // ALLOW_MULTI: programs of the parent cgroups keep running too; ours can only take access away.
            var attach = new bpf_attr
            {
                target_fd = (uint)fd,
                attach_bpf_fd = (uint)program,
                attach_type = Libc.BPF_CGROUP_DEVICE,
                attach_flags = Libc.BPF_F_ALLOW_MULTI,
            };
            Check.Ok(Libc.bpf(Libc.BPF_PROG_ATTACH, &attach, (uint)sizeof(bpf_attr)), $"attach the BPF device program to {dir}");
        }
        finally
        {
            Libc.close(program);
            if (fd >= 0)
            {
                Libc.close(fd);
            }
        }
    }

    /// <summary>
    /// The usual end: pid1 reaped its whole tree, so its cgroup is empty and rmdir alone removes it (every leaf
    /// is one pid1 created: rmdir fails with EBUSY while a process is inside). False when something is left,
    /// a process that `pid1 exec` put there say: then it is killed and removed the slow way.
    /// </summary>
    private bool RemovedAtOnce()
    {
        for (int i = created.Count - 1; i >= 0; i--)
        {
            byte* p = CStrings.From(created[i]);
            int result = Libc.rmdir(p);
            System.Runtime.InteropServices.NativeMemory.Free(p);
            if (result < 0 && result != -Libc.ENOENT)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// v2 cgroup.kill when the kernel has it; otherwise SIGKILL every pid listed, until the list is empty
    /// (a process may fork between the read and the kill). Gives up after five seconds.
    /// </summary>
    private static void Empty(string leaf)
    {
        if (Files.IsFile(leaf + "/cgroup.kill"))
        {
            WriteFile(leaf + "/cgroup.kill", "1");
        }

        long deadline = Clock.MonotonicMilliseconds() + 5000;
        while (Clock.MonotonicMilliseconds() < deadline)
        {
            if (Files.ReadTextIfPresent(leaf + "/cgroup.procs") is not string procs)
            {
                return;
            }

            string[] pids = procs.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (pids.Length == 0)
            {
                return;
            }

            foreach (string pid in pids)
            {
                Libc.kill(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture), Libc.SIGKILL);
            }

            Thread.Sleep(10);
        }

        Log.Warning($"cgroup {leaf} still has processes after SIGKILL");
    }

    /// <summary>rmdir; EBUSY right after the last process died is retried for a moment.</summary>
    private static void RemoveDirectory(string dir)
    {
        byte* p = CStrings.From(dir);
        int result = 0;
        for (int attempt = 0; attempt < 100; attempt++)
        {
            result = Libc.rmdir(p);
            if (result != -Libc.EBUSY)
            {
                break;
            }

            Thread.Sleep(10);
        }

        System.Runtime.InteropServices.NativeMemory.Free(p);
        if (result < 0 && result != -Libc.ENOENT)
        {
            Log.Warning($"remove cgroup {dir}: {Errno.Describe(-result)}");
        }
    }

    /// <summary>One write(2) of the whole value, as cgroup files require; −errno on failure.</summary>
    public static int WriteFile(string path, string value)
    {
        int fd = Files.Open(path, Libc.O_WRONLY, 0);
        if (fd < 0)
        {
            return fd;
        }

        nint written = Files.WriteOnce(fd, value);
        Libc.close(fd);
        return written < 0 ? (int)written : 0;
    }
}
