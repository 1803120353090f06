using System;
using System.Collections;
using System.Collections.Generic;
using Pid1.Cli;
using Pid1.Native;
using Pid1.Sandbox;
using Pid1.Sandbox.Cgroups;

namespace Pid1.Init;

/// <summary>From options to a running, supervised program: prepare pid1 itself, spawn, supervise.</summary>
internal static unsafe class Launcher
{
    public static int Run(Options options, sigset_t* originalMask)
    {
        // Validated and placed on the host's layout first: bad limits leave nothing behind.
        CgroupPlan? cgroupPlan = CgroupSetup.Plan(options);
        PrepareSelf(options);
        bool onTerminal = OwnsTerminal();
        bool plain = options.IsPlainSpawn && !onTerminal;
        ExecSpec* exec = MarshalExec(options, plain);
        Cgroup? cgroup = cgroupPlan is null ? null : Cgroup.Create(cgroupPlan, options.CgroupOptional);
        try
        {
            bool newPidNamespace = (options.Namespaces & Libc.CLONE_NEWPID) != 0;
            int pid = plain
                ? Spawner.SpawnPlain(options.Program, exec, originalMask)
                : SpawnWithPlan(options, exec, originalMask, onTerminal, cgroup);
            if (Log.Verbosity >= 2)
            {
                // Not formatted at all otherwise: the first interpolated string sets up the shared array pool,
                // and that seeds a Random from /dev/urandom.
                Log.Info($"started {options.Program} as pid {pid}");
            }

            Lifecycle.Session.Started(pid);

            // From here pid1 mostly waits: 2.4 MB of start-up code and read-only data need not stay in its RSS.
            IdleFootprint.DropReadOnlyPagesWhenIdle();
            var config = SupervisorConfig.From(options, pid, isNamespaceInit: Libc.getpid() == 1, forwardsToInit: newPidNamespace, onTerminal);
            config.StopsTree = KernelInit.Running;
            return Supervisor.Run(config);
        }
        finally
        {
            cgroup?.Remove();
        }
    }

    /// <summary>
    /// Stdin is a terminal and pid1's group is its foreground: then the program's group gets the foreground.
    /// A pid1 started in the background (`pid1 prog &`) must not steal the terminal from its shell.
    /// </summary>
    private static bool OwnsTerminal() =>
        Libc.isatty(Libc.STDIN_FILENO) == 1 && Libc.tcgetpgrp(Libc.STDIN_FILENO) == Libc.getpgid(0);

    /// <summary>
    /// Not PID 1: become a child subreaper, so orphans of the tree are reparented to pid1 and reaped here
    /// (silently: that is what a user of `pid1 prog` expects). --pdeathsig: pid1 hears its parent's death.
    /// </summary>
    private static void PrepareSelf(Options options)
    {
        if (Libc.getpid() != 1)
        {
            Check.Ok(Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl PR_SET_CHILD_SUBREAPER");
        }

        if (options.ParentDeathSignal != 0)
        {
            // The parent is read first: if it dies before the prctl takes effect, the signal is raised at once.
            Check.Ok(Namespaces.SetParentDeathSignal(options.ParentDeathSignal, Libc.getppid()), "prctl PR_SET_PDEATHSIG");
        }
    }

    /// <summary>
    /// The clone path. --mount-image's loop devices are attached here, in pid1, before clone, and stay open
    /// until pid1 exits; a setup that fails frees them at once.
    /// </summary>
    private static int SpawnWithPlan(Options options, ExecSpec* exec, sigset_t* originalMask, bool onTerminal, Cgroup? cgroup)
    {
        // The cloned pid namespace init scans /proc with this table and must not allocate: reserve it first.
        ProcTree.Prepare();
        LoopDevices images = LoopDevices.Attach(options);
        try
        {
            return SpawnPlanned(options, exec, originalMask, onTerminal, images, cgroup);
        }
        catch
        {
            images.Detach();
            throw;
        }
    }

    /// <summary>
    /// In DESIGN's setup order: wait for the parent (maps, cgroup), set up the namespaces, become the pid
    /// namespace's init if there is one, then prepare the program's process and exec it. Without maps the
    /// wait for the cgroup join comes after the namespaces' setup, which then overlaps the parent's work.
    /// </summary>
    private static int SpawnPlanned(Options options, ExecSpec* exec, sigset_t* originalMask, bool onTerminal, LoopDevices images, Cgroup? cgroup)
    {
        var plan = new ChildPlan();
        ulong namespaces = options.Namespaces;
        bool newPidNamespace = (options.Namespaces & Libc.CLONE_NEWPID) != 0;
        UserMaps? maps = UserNamespace.Plan(options, Libc.geteuid(), Libc.getegid(), relative => RootFile.ReadIfExists("/", relative));
        if (options.KillChild != 0 && newPidNamespace)
        {
            // The pid namespace's init: set before waiting, so a parent that dies in between shows as EOF there.
            plan.Add(new ChildStep { Kind = StepKind.ParentDeathSignal, Number = options.KillChild }, $"prctl PR_SET_PDEATHSIG {Signals.Name(options.KillChild)}");
        }

        // The child waits only when the parent has work between clone and release (maps, cgroup join, closing its
        // copies of the --listen sockets), or when a parent that dies first must show as EOF (above): otherwise
        // the pipe and the round trip through the scheduler would be pure cost.
        bool parentWorks = maps is not null || cgroup is not null || options.Listen.Count > 0;
        Pipe? sync = parentWorks || (options.KillChild != 0 && newPidNamespace) ? Pipe.Create("the child's start signal") : null;
        if (sync is Pipe early && maps is not null)
        {
            // Every later step needs the ids the maps give it in its user namespace.
            plan.Add(new ChildStep { Kind = StepKind.WaitForParent, Number = early.Read }, "wait for the parent (uid/gid maps, cgroup join)");
        }

        if (sync is Pipe && maps is null && cgroup is not null && (namespaces & Libc.CLONE_NEWNET) != 0)
        {
            // A network namespace takes about a millisecond to make. Inside clone3 the parent would wait for it;
            // unshared by the child (as root: no user namespace to own it) it is made while the parent joins
            // the cgroup.
            namespaces &= ~Libc.CLONE_NEWNET;
            plan.Add(new ChildStep { Kind = StepKind.Unshare, Flags = Libc.CLONE_NEWNET }, "unshare the network namespace");
        }

        Namespaces.AddSetup(plan, options);
        AddNamespaceSetup(plan, options, images);
        if (sync is Pipe late && maps is null)
        {
            // Without maps the namespaces' own setup (lo, mounts, the root switch) needs nothing from the parent,
            // so it runs while the parent joins the cgroup (a cgroup.procs write takes milliseconds on v1); the
            // wait is before the init forks the program and before any exec, so both start inside the cgroup.
            plan.Add(new ChildStep { Kind = StepKind.WaitForParent, Number = late.Read }, "wait for the parent (cgroup join)");
        }

        if (cgroup is not null && (namespaces & Libc.CLONE_NEWCGROUP) != 0)
        {
            // Hazard 8: a cgroup namespace is rooted where the process is when it is made, so -C must be
            // unshared after the join, not at clone time, for the program to see its cgroup as "/".
            namespaces &= ~Libc.CLONE_NEWCGROUP;
            plan.Add(new ChildStep { Kind = StepKind.Unshare, Flags = Libc.CLONE_NEWCGROUP }, "unshare the cgroup namespace");
        }

        if (newPidNamespace)
        {
            var init = (SupervisorConfig*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(SupervisorConfig));
            *init = SupervisorConfig.From(options, 0, isNamespaceInit: true, onTerminal: onTerminal);
            plan.Add(ChildStep.ForkSupervised(init), "spawn the program from the pid namespace's init");
        }

        int[] sockets = AddProgramSetup(plan, options, exec, originalMask, onTerminal, maps);
        return Spawner.SpawnCloned(plan, namespaces, Pipe.Create("exec errors"), sync, pid =>
        {
            Listen.CloseParentCopies(sockets);
            if (maps is not null)
            {
                UserNamespace.WriteMaps(pid, maps);
            }

            cgroup?.Join(pid);
        });
    }

    /// <summary>Steps that shape the namespaces; they run before the pid namespace's init forks the program.</summary>
    private static void AddNamespaceSetup(ChildPlan plan, Options options, LoopDevices images)
    {
        FilesystemSetup.AddSteps(plan, options, images.Images);
    }

    /// <summary>Steps of the program's own process, just before exec; returns pid1's copies of the --listen sockets.</summary>
    private static int[] AddProgramSetup(ChildPlan plan, Options options, ExecSpec* exec, sigset_t* originalMask, bool onTerminal, UserMaps? maps)
    {
        plan.Add(new ChildStep { Kind = StepKind.NewProcessGroup }, "setpgid for the program");
        if (onTerminal)
        {
            plan.Add(new ChildStep { Kind = StepKind.TakeTerminal }, "tcsetpgrp on stdin");
        }

        Identity.AddSteps(plan, options, maps);
        if (options.KillChild != 0)
        {
            // After the identity steps: a change of the effective uid or gid clears the parent-death signal.
            int parent = (options.Namespaces & Libc.CLONE_NEWPID) != 0 ? 1 : Libc.getpid();
            plan.Add(new ChildStep { Kind = StepKind.ParentDeathSignal, Number = options.KillChild, Flags = (ulong)parent }, $"prctl PR_SET_PDEATHSIG {Signals.Name(options.KillChild)}");
        }

        int[] sockets = Listen.AddSteps(plan, options.Listen, exec);
        plan.Add(ChildStep.RestoreSignals(originalMask), "restore the signal mask");
        plan.Add(new ChildStep { Kind = StepKind.Exec, Data = exec }, $"exec {options.Program}");
        return sockets;
    }

    /// <summary>
    /// argv, the environment and the PATH candidates as C data, before any fork. The plain path needs no
    /// candidates when posix_spawnp searches the same places (a name with a slash, or PATH set): it stays cheap.
    /// </summary>
    private static ExecSpec* MarshalExec(Options options, bool plain)
    {
        List<string> environment = Listen.Environment(EnvironmentEntries(), options.Listen);
        environment.Sort(StringComparer.Ordinal);
        string? path = Environment.GetEnvironmentVariable("PATH");
        var spec = (ExecSpec*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(ExecSpec));
        spec->Argv = CStrings.Array([options.Program, .. options.Arguments]);
        spec->Envp = CStrings.Array(environment.ToArray());
        spec->Candidates = plain && ProgramSearch.LibcSearchesAlike(options.Program, path)
            ? null
            : CStrings.Array(ProgramSearch.Candidates(options.Program, path));
        return spec;
    }

    /// <summary>pid1's environment as NAME=VALUE entries, in no particular order.</summary>
    public static List<string> EnvironmentEntries()
    {
        var entries = new List<string>();
        if (InitialEnvironmentNames() is string[] names)
        {
            // The values (and which names are still set) from the runtime's copy: pid1 may have changed it.
            foreach (string name in names)
            {
                if (Environment.GetEnvironmentVariable(name) is string value)
                {
                    entries.Add(name + "=" + value);
                }
            }

            return entries;
        }

        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            entries.Add((string)e.Key + "=" + (string?)e.Value);
        }

        return entries;
    }

    /// <summary>
    /// The names of the environment pid1 was started with, each once, from /proc/self/environ; null without
    /// /proc. Not GetEnvironmentVariables: its Hashtable hashes every name with a seed read from /dev/urandom.
    /// </summary>
    private static string[]? InitialEnvironmentNames()
    {
        int fd = Libc.open("/proc/self/environ\0"u8.AsPointer(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return null;
        }

        string initial = Files.ReadAndClose(fd, "/proc/self/environ");

        var names = new HashSet<string>();
        foreach (string entry in initial.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                names.Add(entry.Substring(0, equals));
            }
        }

        // Not [.. names]: for a HashSet that is LINQ's ToArray, and System.Linq in the binary.
        string[] array = new string[names.Count];
        names.CopyTo(array);
        return array;
    }
}
