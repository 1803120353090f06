using System;
using System.Globalization;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// `pid1 list|kill|stop|exec|checkpoint ...`: chosen when argv[0] is one of these words (a program with such
/// a name runs as `pid1 -- list`). Exit codes: 0 done; 1 the sandbox or process is not running (nothing
/// to do); 125 bad usage or a failed operation; exec returns the command's own code.
/// </summary>
internal static class Commands
{
    public const int NotRunning = 1;

    public static bool IsCommand(string word) => word is "list" or "kill" or "stop" or "exec" or "checkpoint";

    public static int Run(string[] args)
    {
        ReadOnlySpan<string> rest = args.AsSpan(1);
        return args[0] switch
        {
            "list" => ListCommand.Run(rest),
            "kill" => KillCommand.Run(rest),
            "stop" => StopCommand.Run(rest),
            "exec" => ExecCommand.Run(rest),
            _ => CheckpointCommand.Run(rest),
        };
    }

    /// <summary>The live sandbox called NAME; null after printing "NAME is not running" (exit 1).</summary>
    public static SandboxState? Find(string command, string name)
    {
        if (Names.Problem(name) is string problem)
        {
            throw new UsageException($"{command}: sandbox name '{name}' {problem}");
        }

        SandboxState? state = StateStore.Find(name);
        if (state is null)
        {
            Log.Error($"{command}: {name} is not running");
        }

        return state;
    }

    public static int Signal(string command, string text) =>
        Init.Signals.TryParse(text, allowZero: true, out int signal)
            ? signal
            : throw new UsageException($"{command}: unknown signal '{text}'");

    public static int Number(string command, string what, string text, int min = 1) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min
            ? value
            : throw new UsageException($"{command}: {what} '{text}' is not a number");

    public static UsageException Usage(string synopsis) => new($"usage: pid1 {synopsis}");
}
