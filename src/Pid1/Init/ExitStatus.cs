namespace Pid1.Init;

/// <summary>Decodes a waitpid status into the exit code pid1 reports: the code, or 128+N for signal N.</summary>
internal static class ExitStatus
{
    public static bool Signaled(int status) => (status & 0x7f) is not 0 and not 0x7f;

    public static bool Stopped(int status) => (status & 0xff) == 0x7f;

    public static int Code(int status) => (status >> 8) & 0xff;

    public static int Signal(int status) => status & 0x7f;

    public static int StopSignal(int status) => (status >> 8) & 0xff;

    public static int ToExitCode(int status) => Signaled(status) ? 128 + Signal(status) : Code(status);
}
