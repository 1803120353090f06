using System;
using Pid1.Cli;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// pid1 as the kernel's /init (initramfs appliance firmware). The rule for "the kernel's init": PID 1 in the
/// initial pid namespace, whose nsfs inode is the kernel constant PROC_PID_INIT_INO. A container's
/// entrypoint and the PID 1 of `pid1 -p` also have pid 1 and ppid 0, but always live in a child pid
/// namespace. Then: mount the API filesystems, run the program (argv after `--` on the kernel command line,
/// else /init.d/run), reap forever, and power off (or reboot) when it is done. Nothing here may end the
/// process: the kernel panics when init exits, so every failure is logged and leads to power-off.
/// </summary>
internal static unsafe class KernelInit
{
    public const string DefaultProgram = "/init.d/run";

    /// <summary>PROC_PID_INIT_INO (include/linux/proc_ns.h): the inode of the initial pid namespace.</summary>
    private const ulong InitialPidNamespace = 0xEFFFFFFC;

    /// <summary>The API filesystems, in order.</summary>
    private static readonly ApiMount[] ApiMounts =
    [
        new("proc", "/proc", Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, null),
        new("sysfs", "/sys", Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, null),
        new("devtmpfs", "/dev", Libc.MS_NOSUID, "mode=0755"),
        new("devpts", "/dev/pts", Libc.MS_NOSUID | Libc.MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666"),
        new("tmpfs", "/run", Libc.MS_NOSUID | Libc.MS_NODEV, "mode=0755"),
        new("cgroup2", "/sys/fs/cgroup", Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, null),
    ];

    /// <summary>True once <see cref="Run"/> started: the supervisor then treats stop signals as shutdown.</summary>
    public static bool Running { get; private set; }

    public static bool IsKernelInit()
    {
        if (Libc.getpid() != 1 || Libc.getppid() != 0)
        {
            return false;
        }

        long inode = PidNamespaceInode();
        if (inode == -Libc.ENOENT && MakeDirectory("/proc") && Mount("proc", "/proc", ApiMounts[0].Flags, null) == 0)
        {
            // No /proc yet, as when the kernel starts /init: mount it to look (kernel init keeps it).
            inode = PidNamespaceInode();
            if (inode != (long)InitialPidNamespace)
            {
                Libc.umount2("/proc\0"u8.AsPointer(), Libc.MNT_DETACH);
            }
        }

        return inode == (long)InitialPidNamespace;
    }

    /// <summary>Runs the machine's life; returns only if power-off itself failed, and then never.</summary>
    public static int Run(string[] args, sigset_t* originalMask)
    {
        bool reboot = false;
        Running = true;
        try
        {
            PrepareSelf();
            MountApiFilesystems();
            TakeConsole();
            EnableControllers();

            // ctrl-alt-del becomes SIGINT to init instead of an immediate reboot: pid1 shuts down cleanly.
            Libc.reboot(Libc.RB_DISABLE_CAD);
            Options options = ParseArguments(args);
            reboot = options.Reboot;
            Log.Verbosity = options.Verbosity;
            int code = Launcher.Run(options, originalMask);
            Log.Warning($"{options.Program} exited with code {code}; {(reboot ? "rebooting" : "powering off")}");
        }
        catch (Exception e)
        {
            Log.Error($"kernel init: {e.Message}; {(reboot ? "rebooting" : "powering off")}");
        }

        return Shutdown(reboot);
    }

    /// <summary>
    /// `-- [OPTIONS] [PROGRAM ARGS...]` from the kernel command line; no program means /init.d/run.
    /// </summary>
    public static Options ParseArguments(string[] args)
    {
        try
        {
            return CommandLine.Parse(args.Length == 0 ? [DefaultProgram] : args, Environment.GetEnvironmentVariable, callerIsRoot: true);
        }
        catch (UsageException) when (args.Length > 0)
        {
            return CommandLine.Parse([.. args, DefaultProgram], Environment.GetEnvironmentVariable, callerIsRoot: true);
        }
    }

    /// <summary>Hazard 11: init keeps no directory busy and passes on no descriptor the kernel left open.</summary>
    private static void PrepareSelf()
    {
        Libc.chdir("/\0"u8.AsPointer());
        Libc.close_range(3, uint.MaxValue, 0);
    }

    /// <summary>
    /// The kernel hands init /dev/console as stdio, but no session and no controlling terminal, so the
    /// program could not take the console's foreground (tcsetpgrp: ENOTTY). Opening /dev/console never
    /// makes it one (the kernel treats it as O_NOCTTY): a new session claims it with TIOCSCTTY instead.
    /// </summary>
    private static void TakeConsole()
    {
        if (Libc.isatty(Libc.STDIN_FILENO) != 1 || Libc.setsid() < 0)
        {
            return;
        }

        int result = Libc.ioctl(Libc.STDIN_FILENO, Libc.TIOCSCTTY, null);
        if (result < 0)
        {
            Log.Warning($"TIOCSCTTY on the console: {Errno.Describe(-result)}");
        }
    }

    private static void MountApiFilesystems()
    {
        string[]? mounted = null;
        foreach (ApiMount mount in ApiMounts)
        {
            string target = mount.Target;
            // The table is read once, as soon as /proc is there (the detection has usually mounted it): the
            // mounts made here are all at different targets, so none of them changes a later answer.
            mounted ??= MountPoints();

            // Already there (the detection's /proc, the kernel's devtmpfs automount): a second mount would
            // stack on top of the first.
            if (mounted is null || Array.IndexOf(mounted, target) < 0)
            {
                MakeDirectory(target);
                Check.Ok(Mount(mount.Type, target, mount.Flags, mount.Data), $"mount {mount.Type} on {target}");
            }
        }
    }

    /// <summary>The mount points /proc/self/mounts lists; null while /proc is not mounted.</summary>
    private static string[]? MountPoints() =>
        Files.ReadLinesIfPresent("/proc/self/mounts") is string[] lines ? Array.ConvertAll(lines, line => line.Split(' ')[1]) : null;

    /// <summary>Every controller the kernel offers is enabled for children, so pid1's cgroups can use them.</summary>
    private static void EnableControllers()
    {
        string controllers = Files.ReadText("/sys/fs/cgroup/cgroup.controllers");
        foreach (string controller in controllers.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            int result = Sandbox.Cgroups.Cgroup.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", "+" + controller);
            if (result < 0)
            {
                Log.Warning($"enable {controller} in /sys/fs/cgroup/cgroup.subtree_control: {Errno.Describe(-result)}");
            }
        }
    }

    /// <summary>The tree is already gone (the supervisor killed it): sync the disks and switch off.</summary>
    private static int Shutdown(bool reboot)
    {
        Libc.sync();
        int result = Libc.reboot(reboot ? Libc.RB_AUTOBOOT : Libc.RB_POWER_OFF);
        Log.Error($"reboot: {Errno.Describe(-result)}; halting here");
        sigset_t all = default;
        Signals.FillWaited(ref all);
        while (true)
        {
            // Still PID 1: keep reaping whatever is reparented here.
            Libc.sigtimedwait(&all, null, null);
            while (Libc.waitpid(-1, null, Libc.WNOHANG) > 0)
            {
            }
        }
    }

    private static bool MakeDirectory(string path) => Files.CreateDirectories(path) >= 0;

    private static long PidNamespaceInode()
    {
        statx st;
        int result = Libc.statx(Libc.AT_FDCWD, "/proc/self/ns/pid\0"u8.AsPointer(), 0, Libc.STATX_INO, &st);
        return result < 0 ? result : (long)st.stx_ino;
    }

    private static int Mount(string type, string target, ulong flags, string? data)
    {
        byte* source = CStrings.From(type);
        byte* path = CStrings.From(target);
        byte* options = data is null ? null : CStrings.From(data);
        return Libc.mount(source, path, source, flags, options);
    }

    /// <summary>
    /// One API filesystem. A class, not a tuple: an array of tuples boxes the tuple type, whose Equals,
    /// GetHashCode, CompareTo and ToString (kept: they are virtual) would be compiled for this one table.
    /// </summary>
    private sealed class ApiMount(string type, string target, ulong flags, string? data)
    {
        public string Type { get; } = type;

        public string Target { get; } = target;

        public ulong Flags { get; } = flags;

        public string? Data { get; } = data;
    }
}
