using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>From options to a running, supervised program: prepare pid1 itself, spawn, supervise.</summary>
internal static unsafe class Launcher
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static int Run(Options options, sigset_t* originalMask)
    {
        PrepareSelf(options);
        ExecSpec* exec = MarshalExec(options);
        ProcTree.Prepare();
        bool onTerminal = OwnsTerminal();
        bool newPidNamespace = (options.Namespaces & Libc.CLONE_NEWPID) != 0;
        int pid = options.IsPlainSpawn && !onTerminal
            ? Spawner.SpawnPlain(options.Program, exec, originalMask)
            : SpawnWithPlan(options, exec, originalMask, onTerminal);
        Log.Info($"started {options.Program} as pid {pid}");
        var config = SupervisorConfig.From(options, pid, isNamespaceInit: Libc.getpid() == 1, forwardsToInit: newPidNamespace, onTerminal);
        return Supervise(config);
    }

    /// <summary>Supervises until the tree is gone; a bug in the loop still ends the tree cleanly, with 125.</summary>
    private static int Supervise(in SupervisorConfig config)
    {
        try
        {
            return Supervisor.Run(config);
        }
        catch (Exception e)
        {
            Log.Error($"supervisor failed, stopping the program: {e.GetType().Name}: {e.Message}");
            return Supervisor.Abort(config);
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
        if (!Signals.FinalizerThreadBlocks)
        {
            Log.Warning("the runtime's finalizer thread does not block signals: a signal sent to pid1 may be lost");
        }

        if (Libc.getpid() != 1)
        {
            Check.Ok(Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl PR_SET_CHILD_SUBREAPER");
        }

        if (options.ParentDeathSignal != 0)
        {
            int parent = Libc.getppid();
            Check.Ok(Libc.prctl(Libc.PR_SET_PDEATHSIG, (ulong)options.ParentDeathSignal, 0, 0, 0), "prctl PR_SET_PDEATHSIG");

            // The parent may have died before the prctl took effect: then nothing would ever be sent.
            if (Libc.getppid() != parent)
            {
                Libc.kill(Libc.getpid(), options.ParentDeathSignal);
            }
        }
    }

    /// <summary>
    /// The clone path, in DESIGN's setup order: wait for the parent (maps, cgroup), set up the namespaces,
    /// become the pid namespace's init if there is one, then prepare the program's process and exec it.
    /// </summary>
    private static int SpawnWithPlan(Options options, ExecSpec* exec, sigset_t* originalMask, bool onTerminal)
    {
        var plan = new ChildPlan();
        AddNamespaceSetup(plan, options);
        bool newPidNamespace = (options.Namespaces & Libc.CLONE_NEWPID) != 0;
        if (newPidNamespace)
        {
            var init = (SupervisorConfig*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(SupervisorConfig));
            *init = SupervisorConfig.From(options, 0, isNamespaceInit: true, onTerminal: onTerminal);
            plan.Add(new ChildStep { Kind = StepKind.ForkSupervised, Data = init }, "fork the program from the pid namespace's init");
        }

        AddProgramSetup(plan, options, exec, originalMask, onTerminal);
        return Spawner.SpawnCloned(plan, options.Namespaces, Pipe.Create("exec errors"), null, _ => { });
    }

    /// <summary>Steps that shape the namespaces; they run before the pid namespace's init forks the program.</summary>
    private static void AddNamespaceSetup(ChildPlan plan, Options options)
    {
        if ((options.Namespaces & Libc.CLONE_NEWNS) != 0 && options.Propagation != "unchanged")
        {
            // A new mount namespace starts as a copy with the host's propagation: without this, mounts made
            // for the sandbox would propagate back to the host's shared mounts.
            ulong propagation = options.Propagation switch
            {
                "shared" => Libc.MS_SHARED,
                "slave" => Libc.MS_SLAVE,
                _ => Libc.MS_PRIVATE,
            };
            plan.Add(
                new ChildStep { Kind = StepKind.Mount, Path = CStrings.From("/"), Other = CStrings.From("none"), Flags = Libc.MS_REC | propagation },
                $"make / {options.Propagation} (mount propagation)");
        }

        if (options.MountProc is string procDir)
        {
            // Mounted by the new pid namespace's init (this step runs before it forks), so it shows that namespace.
            plan.Add(
                new ChildStep
                {
                    Kind = StepKind.Mount,
                    Path = CStrings.From(procDir),
                    Other = CStrings.From("proc"),
                    Text = CStrings.From("proc"),
                    Flags = Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC,
                },
                $"mount proc on {procDir}");
        }
    }

    /// <summary>Steps of the program's own process, just before exec.</summary>
    private static void AddProgramSetup(ChildPlan plan, Options options, ExecSpec* exec, sigset_t* originalMask, bool onTerminal)
    {
        plan.Add(new ChildStep { Kind = StepKind.NewProcessGroup }, "setpgid for the program");
        if (onTerminal)
        {
            plan.Add(new ChildStep { Kind = StepKind.TakeTerminal }, "tcsetpgrp on stdin");
        }

        if (options.KillChild != 0)
        {
            plan.Add(new ChildStep { Kind = StepKind.ParentDeathSignal, Number = options.KillChild }, $"prctl PR_SET_PDEATHSIG {Signals.Name(options.KillChild)}");
        }

        plan.Add(new ChildStep { Kind = StepKind.RestoreSignals, Data = originalMask }, "restore the signal mask");
        plan.Add(new ChildStep { Kind = StepKind.Exec, Data = exec }, $"exec {options.Program}");
    }

    /// <summary>argv, the environment and the PATH candidates as C data, before any fork.</summary>
    private static ExecSpec* MarshalExec(Options options)
    {
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}")
            .Order(StringComparer.Ordinal)
            .ToArray();
        string path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : DefaultPath;
        var spec = (ExecSpec*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)sizeof(ExecSpec));
        spec->Argv = CStrings.Array([options.Program, .. options.Arguments]);
        spec->Envp = CStrings.Array(environment);
        spec->Candidates = CStrings.Array(Candidates(options.Program, path));
        return spec;
    }

    /// <summary>Where execvp would look: the name itself if it has a slash, else each PATH entry.</summary>
    public static IReadOnlyList<string> Candidates(string program, string path) =>
        program.Contains('/')
            ? [program]
            : path.Split(':').Select(dir => Path.Join(dir.Length == 0 ? "." : dir, program)).ToArray();
}
