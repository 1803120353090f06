using System;

namespace Pid1.Lifecycle;

internal static class CheckpointCommand
{
    public static int Run(ReadOnlySpan<string> args) => throw Commands.Usage("checkpoint NAME OUT.gz [--zero-free]");
}
