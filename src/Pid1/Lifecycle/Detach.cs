using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Pid1.Cli;
using Pid1.Init;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// --detach. The launcher does not fork the .NET runtime (a forked runtime may hang on a lock another
/// thread held, hazard 13): it posix_spawns a fresh pid1 from /proc/self/exe with the same arguments, in a
/// new session (no terminal, so the caller's hangup never reaches it), stdio on --log or /dev/null, and a
/// report pipe named in PID1_DETACHED_FD. That pid1 is the long-lived supervisor; it writes "started NAME"
/// once the program was exec'd, or "failed CODE MESSAGE". Only then does the launcher print "NAME PID" and
/// exit 0, or print the message and exit with the code.
/// </summary>
internal static unsafe class Detach
{
    private const string ReportVariable = "PID1_DETACHED_FD";

    /// <summary>A report pipe is never below this fd, so it cannot collide with the stdio being replaced.</summary>
    private const int ReportFdFloor = 10;

    private static int reportFd = -1;

    /// <summary>True in the detached pid1 (it adopted a report pipe).</summary>
    public static bool IsDetached { get; private set; }

    /// <summary>
    /// In the detached pid1: takes the report fd from the environment and removes the variable, so the
    /// program neither sees it nor inherits the pipe. False in the launcher.
    /// </summary>
    public static bool AdoptReport()
    {
        string? value = Environment.GetEnvironmentVariable(ReportVariable);
        if (value is null || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
        {
            return false;
        }

        Environment.SetEnvironmentVariable(ReportVariable, null);
        Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        reportFd = fd;
        IsDetached = true;
        return true;
    }

    public static void ReportStarted(string name) => Report($"started {name}\n");

    /// <summary>Called on every error path of the detached pid1; a no-op anywhere else.</summary>
    public static void ReportFailure(int code, string message) =>
        Report($"failed {code.ToString(CultureInfo.InvariantCulture)} {message.Replace('\n', ' ')}\n");

    public static int Launch(Options options, string[] args, sigset_t* originalMask)
    {
        CheckName(options.Name);
        StatusEvents.Validate(options.StatusFd);
        int output = OpenOutput(options.LogFile);
        int devNull = Check.Ok(Libc.open("/dev/null\0"u8.AsPointer(), Libc.O_RDWR | Libc.O_CLOEXEC, 0), "open /dev/null");
        Pipe report = Pipe.Create("the detach report");
        int reportWrite = Check.Ok(Libc.fcntl(report.Write, Libc.F_DUPFD_CLOEXEC, ReportFdFloor), "fcntl F_DUPFD_CLOEXEC for the detach report");
        Libc.close(report.Write);
        int pid;
        try
        {
            pid = Spawn(args, devNull, output, reportWrite, originalMask);
        }
        finally
        {
            Libc.close(reportWrite);
            Libc.close(output);
            Libc.close(devNull);
        }

        return Conclude(pid, ReadLine(report.Read));
    }

    /// <summary>Fails early (125) for a bad or taken name; the detached pid1 claims it for real.</summary>
    private static void CheckName(string? name)
    {
        if (name is not null && StateStore.Find(Names.Validated(name)) is SandboxState owner)
        {
            throw new SetupException($"name {name} is in use by pid {owner.Pid}");
        }
    }

    private static int OpenOutput(string? logFile)
    {
        if (logFile is null)
        {
            return Check.Ok(Libc.open("/dev/null\0"u8.AsPointer(), Libc.O_WRONLY | Libc.O_CLOEXEC, 0), "open /dev/null");
        }

        return Check.Ok(Files.Open(logFile, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT, 0x1a4), $"open log {logFile}");
    }

    /// <summary>posix_spawn of pid1 itself: new session, the caller's signal mask, stdio replaced, report fd kept.</summary>
    private static int Spawn(string[] args, int devNull, int output, int reportWrite, sigset_t* originalMask)
    {
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attributes;
        Check.Ok(Libc.posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
        Check.Ok(Libc.posix_spawnattr_init(&attributes), "posix_spawnattr_init");
        Libc.posix_spawn_file_actions_adddup2(&actions, devNull, Libc.STDIN_FILENO);
        Libc.posix_spawn_file_actions_adddup2(&actions, output, Libc.STDOUT_FILENO);
        Libc.posix_spawn_file_actions_adddup2(&actions, output, Libc.STDERR_FILENO);

        // dup2 onto itself clears FD_CLOEXEC (POSIX 2017, glibc ≥ 2.29): the one fd the new pid1 must inherit.
        Libc.posix_spawn_file_actions_adddup2(&actions, reportWrite, reportWrite);
        sigset_t defaults = Signals.SpawnDefaults();
        Libc.posix_spawnattr_setflags(&attributes, Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF);
        Libc.posix_spawnattr_setsigmask(&attributes, originalMask);
        Libc.posix_spawnattr_setsigdefault(&attributes, &defaults);
        byte** argv = CStrings.Array(["pid1", .. args]);
        byte** envp = CStrings.Array(EnvironmentWithReport(reportWrite));
        int pid;
        int result = Libc.posix_spawn(&pid, "/proc/self/exe\0"u8.AsPointer(), &actions, &attributes, argv, envp);
        Libc.posix_spawn_file_actions_destroy(&actions);
        Libc.posix_spawnattr_destroy(&attributes);
        return result == 0 ? pid : throw new SetupException("spawn the detached pid1 (/proc/self/exe)", -result);
    }

    private static string[] EnvironmentWithReport(int reportWrite)
    {
        List<string> entries = Launcher.EnvironmentEntries();
        entries.RemoveAll(e => e.StartsWith(ReportVariable + "=", StringComparison.Ordinal));
        entries.Add($"{ReportVariable}={reportWrite.ToString(CultureInfo.InvariantCulture)}");
        return entries.ToArray();
    }

    /// <summary>"NAME PID" and 0 once started; else the detached pid1's message and exit code.</summary>
    private static int Conclude(int pid, string report)
    {
        if (report.StartsWith("started ", StringComparison.Ordinal))
        {
            Output.Stdout($"{report.Substring(8)} {pid.ToString(CultureInfo.InvariantCulture)}\n");
            return 0;
        }

        int status = 0;
        while (Libc.waitpid(pid, &status, 0) == -Libc.EINTR)
        {
        }

        string[] failure = report.Split(' ', 3);
        if (failure.Length == 3 && failure[0] == "failed" && int.TryParse(failure[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            Log.Error(failure[2]);
            return code;
        }

        int exit = ExitStatus.ToExitCode(status);
        Log.Error($"the detached pid1 exited (code {exit.ToString(CultureInfo.InvariantCulture)}) before the program started");
        return exit == 0 ? ExitCodes.SetupFailed : exit;
    }

    /// <summary>
    /// One report line. Not "until EOF": the init of a new pid namespace is a clone of the detached pid1 and
    /// keeps a copy of the write end for as long as the sandbox runs.
    /// </summary>
    private static string ReadLine(int fd)
    {
        var bytes = new System.Collections.Generic.List<byte>();
        byte next = 0;
        nint n;
        while ((n = Libc.read(fd, &next, 1)) != 0 && next != (byte)'\n')
        {
            if (n > 0)
            {
                bytes.Add(next);
            }
            else if (n != -Libc.EINTR)
            {
                break;
            }
        }

        Libc.close(fd);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static void Report(string message)
    {
        if (reportFd >= 0)
        {
            Output.Write(reportFd, message);
            Libc.close(reportFd);
            reportFd = -1;
        }
    }
}
