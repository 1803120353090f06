using System;

namespace Pid1.Native;

/// <summary>
/// A setup step failed before the program ran: names the step, the object and errno, so the one line a user
/// sees is "pid1: mount proc on /new/proc: EPERM (Operation not permitted)". Program maps it to exit 125.
/// </summary>
internal sealed class SetupException : Exception
{
    public SetupException(string what, int errno, int exitCode = ExitCodes.SetupFailed)
        : base($"{what}: {Native.Errno.Describe(errno)}")
    {
        Errno = errno;
        ExitCode = exitCode;
    }

    public SetupException(string message)
        : base(message)
    {
        ExitCode = ExitCodes.SetupFailed;
    }

    public int Errno { get; }

    /// <summary>125 for pid1's own failures; 126 or 127 when the program could not be executed.</summary>
    public int ExitCode { get; }
}

/// <summary>The command line asks for something impossible: the message names the option and value.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }
}

/// <summary>The exit codes pid1 itself decides; everything else is the program's.</summary>
internal static class ExitCodes
{
    public const int SetupFailed = 125;
    public const int NotExecutable = 126;
    public const int NotFound = 127;

    /// <summary>What a failed execve means to the user: not found (127) or found but not executable (126).</summary>
    public static int ForExec(int errno) => errno is Libc.ENOENT or Libc.ENOTDIR ? NotFound : NotExecutable;
}

internal static class Check
{
    /// <summary>Turns a negative (−errno) result of a setup call into a <see cref="SetupException"/>.</summary>
    /// <param name="what">The step and its object: "mount proc on /proc".</param>
    public static int Ok(int result, string what) =>
        result >= 0 ? result : throw new SetupException(what, -result);

    public static long Ok(long result, string what) =>
        result >= 0 ? result : throw new SetupException(what, (int)-result);
}
