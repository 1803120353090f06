using System;

namespace Pid1.Lifecycle;

internal static class ExecCommand
{
    public static int Run(ReadOnlySpan<string> args) => throw Commands.Usage("exec NAME [--user USER] -- CMD [ARGS...]");
}
