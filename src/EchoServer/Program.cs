using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace EchoServer;

/// <summary>
/// echo-server [--port N] [--bind ADDR] | --whoami | --help.
/// Exit codes: 0 after SIGTERM/SIGINT, --whoami or --help; 1 when it cannot serve; 2 on bad usage.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        try
        {
            var options = Options.Parse(args);
            if (options.Help)
            {
                Console.WriteLine(Options.Usage);
                return 0;
            }

            if (options.WhoAmI)
            {
                Console.WriteLine($"echo-server: {Identity.Describe()}");
                return 0;
            }

            IReadOnlyList<Listener> listeners = SocketActivation.TakeListeners() ?? [Listener.Bind(options.Address, options.Port)];
            Console.WriteLine($"echo-server: listening on {string.Join(", ", listeners)}");
            Console.WriteLine($"echo-server: {Identity.Describe()}");
            return await Serve(listeners);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"echo-server: {e.Message}");
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }
        catch (StartupException e)
        {
            Console.Error.WriteLine($"echo-server: {e.Message}");
            return 1;
        }
    }

    /// <summary>Echoes on every listener until SIGTERM or SIGINT (exit 0) or until a listener fails (exit 1).</summary>
    private static async Task<int> Serve(IReadOnlyList<Listener> listeners)
    {
        var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Cancelling the default action (terminate with 128+N) turns a stop request into a clean exit 0.
        Action<PosixSignalContext> onStop = context =>
        {
            context.Cancel = true;
            stopRequested.TrySetResult();
        };
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onStop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, onStop);
        using var stop = new CancellationTokenSource();

        var running = new List<Task> { stopRequested.Task };
        foreach (var listener in listeners)
        {
            running.Add(Echo.Serve(listener.Socket, stop.Token));
        }

        var first = await Task.WhenAny(running);
        stop.Cancel();
        if (first != stopRequested.Task)
        {
            Console.Error.WriteLine($"echo-server: stopped serving: {first.Exception?.InnerException?.Message}");
            return 1;
        }

        return 0;
    }
}
