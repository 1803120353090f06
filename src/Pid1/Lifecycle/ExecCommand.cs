using System;
using System.IO;
using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;
using Pid1.Sandbox;
using Pid1.Sandbox.Cgroups;

namespace Pid1.Lifecycle;

/// <summary>
/// `pid1 exec NAME [--user U] -- CMD [ARGS...]`: runs CMD inside a running sandbox. This pid1 makes itself
/// non-dumpable first (runc CVE-2019-5736: nothing inside may open /proc/PID/exe of a host binary), opens the
/// namespaces, root and working directory of the sandbox's main child, and clones a single-threaded child
/// (setns of user and mnt fail in a multithreaded process, hazard 4). That child is put in the sandbox's
/// cgroups by this pid1 before it joins the cgroup namespace (hazard 8), joins the namespaces user first,
/// forks into the pid namespace, enters the root, drops to the user and execs CMD with every host fd marked
/// close-on-exec. This pid1 supervises it and exits with CMD's code.
/// </summary>
internal static unsafe class ExecCommand
{
    private const string Synopsis = "exec NAME [--user USER[:GROUP]] -- CMD [ARGS...]";

    public static int Run(ReadOnlySpan<string> args)
    {
        // Before anything of the sandbox is opened: a process inside could otherwise ptrace or open us.
        Check.Ok(Libc.prctl(Libc.PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl PR_SET_DUMPABLE 0");
        (string name, string? user, string[] command) = Parse(args);
        if (Commands.Find("exec", name) is not SandboxState state)
        {
            return Commands.NotRunning;
        }

        if (state.Child == 0 || !ProcInfo.IsSame(state.Child, state.ChildStart))
        {
            Log.Error($"exec: {name} is not running (its program has not started or has exited)");
            return Commands.NotRunning;
        }

        return Enter(state, user, command);
    }

    private static (string Name, string? User, string[] Command) Parse(ReadOnlySpan<string> args)
    {
        if (args.Length < 2)
        {
            throw Commands.Usage(Synopsis);
        }

        string? user = null;
        int i = 1;
        if (args[i] == "--user")
        {
            user = i + 1 < args.Length ? args[i + 1] : throw Commands.Usage(Synopsis);
            i += 2;
        }

        if (i < args.Length && args[i] == "--")
        {
            i++;
        }

        if (i >= args.Length || args[i].StartsWith('-'))
        {
            throw Commands.Usage(Synopsis);
        }

        return (args[0], user, args[i..].ToArray());
    }

    private static int Enter(SandboxState state, string? user, string[] command)
    {
        int child = state.Child;
        int program = ProgramOf(state);
        ProcTree.Prepare();
        var plan = new ChildPlan();
        Pipe sync = Pipe.Create("exec sync");
        plan.Add(new ChildStep { Kind = StepKind.WaitForParent, Number = sync.Read }, $"wait for the cgroup join of {state.Name}");
        bool joinsPidNamespace = AddNamespaces(plan, state);
        if (joinsPidNamespace)
        {
            // setns(pid) only places children in the namespace: the command is forked after it.
            var init = (SupervisorConfig*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(SupervisorConfig));
            *init = SupervisorConfig.From(Options.Default with { Verbosity = Log.Verbosity }, 0, isNamespaceInit: false);
            plan.Add(ChildStep.ForkSupervised(init), $"fork into the pid namespace of {state.Name}");
        }

        plan.Add(new ChildStep { Kind = StepKind.JoinRoot, Number = OpenDirectory($"/proc/{child}/root") }, $"enter the root of {state.Name}");
        plan.Add(new ChildStep { Kind = StepKind.JoinWorkingDirectory, Number = OpenDirectory($"/proc/{program}/cwd") }, $"enter the working directory of {state.Name}");
        ResolvedIdentity who = ExecIdentity.Resolve(program, $"/proc/{child}/root", user);
        Identity.AddDrop(plan, who, setGroupsDenied: ReadSetgroups(program) == "deny", groupsAsked: false);
        plan.Add(new ChildStep { Kind = StepKind.CloseHostFds }, "close_range: mark host fds close-on-exec");
        AddCommand(plan, program, command);
        int pid = Spawner.SpawnCloned(plan, 0, Pipe.Create("exec errors"), sync, clone => JoinCgroups(child, clone));
        var config = SupervisorConfig.From(Options.Default with { Verbosity = Log.Verbosity }, pid, isNamespaceInit: false, forwardsToInit: joinsPidNamespace);
        return Supervisor.Run(config);
    }

    /// <summary>The program's process: the main child, or with a new pid namespace the first child of its init.</summary>
    private static int ProgramOf(SandboxState state)
    {
        bool ownsPidNamespace = state.PidNamespace != ProcInfo.NamespaceInode(Environment.ProcessId, "pid");
        return ownsPidNamespace && ProcInfo.Children(state.Child) is [int first, ..] ? first : state.Child;
    }

    /// <summary>setns steps for every namespace of the sandbox that differs from this pid1's, user first.</summary>
    private static bool AddNamespaces(ChildPlan plan, SandboxState state)
    {
        bool pid = false;
        foreach (string kind in Namespaces.Kinds)
        {
            ulong inode = ProcInfo.NamespaceInode(state.Child, kind);
            if (inode == 0 || inode == ProcInfo.NamespaceInode(Environment.ProcessId, kind))
            {
                continue;
            }

            int fd = Open($"/proc/{state.Child}/ns/{kind}", Libc.O_RDONLY);
            plan.Add(new ChildStep { Kind = StepKind.JoinNamespace, Number = fd, Flags = Namespaces.Flag(kind) }, $"setns {kind} of {state.Name} (pid {state.Child})");
            pid |= kind == "pid";
        }

        return pid;
    }

    private static void AddCommand(ChildPlan plan, int program, string[] command)
    {
        string[] environment = ProgramEnvironment(program);
        string? path = Array.Find(environment, e => e.StartsWith("PATH=", StringComparison.Ordinal))?.Substring(5);
        var exec = (ExecSpec*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(ExecSpec));
        exec->Argv = CStrings.Array(command);
        exec->Envp = CStrings.Array(environment);
        exec->Candidates = CStrings.Array(ProgramSearch.Candidates(command[0], path));
        sigset_t* unblocked = (sigset_t*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)sizeof(sigset_t));
        plan.Add(new ChildStep { Kind = StepKind.NewProcessGroup }, "setpgid for the command");
        if (Libc.isatty(Libc.STDIN_FILENO) == 1)
        {
            plan.Add(new ChildStep { Kind = StepKind.TakeTerminal }, "tcsetpgrp on stdin");
        }

        plan.Add(ChildStep.RestoreSignals(unblocked), "restore the signal mask");
        plan.Add(new ChildStep { Kind = StepKind.Exec, Data = exec }, $"exec {command[0]}");
    }

    /// <summary>The sandbox program's environment: the command sees what the program was started with.</summary>
    private static string[] ProgramEnvironment(int program)
    {
        return Files.ReadTextIfPresent($"/proc/{program}/environ")?.Split('\0', StringSplitOptions.RemoveEmptyEntries) ?? [];
    }

    private static string ReadSetgroups(int pid)
    {
        return Files.ReadTextIfPresent($"/proc/{pid}/setgroups")?.Trim() ?? "allow";
    }

    /// <summary>
    /// Runs in this pid1 while the clone waits: writes the clone's pid to cgroup.procs of every hierarchy
    /// where the sandbox's cgroup differs from ours, so CMD is limited (and frozen) with the sandbox. The
    /// directories come from the mounts this pid1 sees, wherever cgroup2 and the v1 hierarchies are mounted.
    /// </summary>
    private static void JoinCgroups(int sandbox, int clone)
    {
        CgroupMembership[] own = ProcCgroup.Read(Environment.ProcessId);
        CgroupLayout layout = CgroupLayout.Detect();
        foreach (CgroupMembership cgroup in ProcCgroup.Read(sandbox))
        {
            if (Array.IndexOf(own, cgroup) >= 0)
            {
                continue;
            }

            string dir = layout.Directory(cgroup) ?? throw new SetupException($"join cgroup {cgroup} of the sandbox (pid {sandbox}): no cgroup mount here shows it");
            string procs = Path.Join(dir, "cgroup.procs");
            Check.Ok(Files.WriteText(procs, clone.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"join cgroup {procs}");
        }
    }

    private static int OpenDirectory(string path) => Open(path, Libc.O_RDONLY | Libc.O_DIRECTORY);

    private static int Open(string path, int flags) => Check.Ok(Files.Open(path, flags, 0), $"open {path}");
}
