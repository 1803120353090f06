using System;
using Pid1.Cli;
using Pid1.Init;
using Pid1.Lifecycle;
using Pid1.Native;

namespace Pid1;

/// <summary>parse → plan → run; every failure becomes one line on stderr and an exit code users can script.</summary>
internal static unsafe class Program
{
    private static int Main(string[] args)
    {
        // The waited signals are blocked since before the runtime started (Native/early-signals.c), on pid1's only thread;
        // the mask pid1 was started with is what its program gets back.
        sigset_t original = Signals.InheritedMask();
        if (KernelInit.IsKernelInit())
        {
            return KernelInit.Run(args, &original);
        }

        try
        {
            if (args.Length > 0 && Commands.IsCommand(args[0]))
            {
                return Commands.Run(args);
            }

            Options options = CommandLine.Parse(args, Environment.GetEnvironmentVariable, Libc.geteuid() == 0);
            Log.Verbosity = options.Verbosity;
            if (options.ShowHelp)
            {
                return Print(Usage.Text);
            }

            if (options.ShowVersion)
            {
                return Print("pid1 " + BuildInfo.Version + "\n");
            }

            int code = Session.Run(options, args, &original);

            // Everything pid1 made is released by now (the finally blocks above ran): leave at once. The
            // runtime's own shutdown would first create a Thread object for WaitForForegroundThreads (a fresh GC
            // allocation region, page faults) on the path from the program's exit to pid1's. pid1 starts no
            // foreground threads, has no ProcessExit handlers and writes its output unbuffered with write(2).
            Libc._exit(code);
            return code;
        }
        catch (UsageException e)
        {
            Log.Error(e.Message);
            Log.Error(Usage.Hint);
            Detach.ReportFailure(ExitCodes.SetupFailed, e.Message);
            return ExitCodes.SetupFailed;
        }
        catch (SetupException e)
        {
            Log.Error(e.Message);
            Detach.ReportFailure(e.ExitCode, e.Message);
            return e.ExitCode;
        }
        catch (Exception e)
        {
            // A bug, not a user error: still one line and a scriptable code, never a stack trace.
            // The message only, not e.GetType().Name: type names need reflection metadata for every exception type;
            // with UseSystemResourceKeys the message is the resource key, which names the kind of failure anyway.
            Log.Error("internal error: " + e.Message);
            Detach.ReportFailure(ExitCodes.SetupFailed, "internal error: " + e.Message);
            return ExitCodes.SetupFailed;
        }
    }

    private static int Print(string text)
    {
        Output.Stdout(text);
        return 0;
    }

    private static int Print(ReadOnlySpan<byte> text)
    {
        _ = Files.WriteAll(Libc.STDOUT_FILENO, text);
        return 0;
    }
}
