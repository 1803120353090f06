using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Sockets;

namespace EchoServer;

/// <summary>
/// systemd's socket-activation protocol (sd_listen_fds(3)), as pid1 --listen speaks it: LISTEN_FDS sockets
/// start at fd 3, LISTEN_PID names the process they are meant for, LISTEN_FDNAMES optionally names them.
/// </summary>
internal static class SocketActivation
{
    private const int FirstFd = 3;

    /// <summary>The passed sockets, or null when none were passed to this process (then it binds itself).</summary>
    public static IReadOnlyList<Listener>? TakeListeners()
    {
        string? pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        string? names = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        // Consumed either way, as sd_listen_fds(3) does when asked to: nothing this process starts may take them.
        // The BCL keeps its own copy of the environment, and that copy is what a child would inherit.
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);

        // Meant for another process (a parent that exec'ed us without fixing LISTEN_PID): not ours to use.
        if (pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture) || count is null)
        {
            return null;
        }

        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int fds))
        {
            throw new StartupException($"LISTEN_FDS '{count}': not a number of file descriptors");
        }

        string[] fdNames = names?.Split(':') ?? [];
        var listeners = new List<Listener>(); // not sized by fds: the count is not trusted yet
        for (int i = 0; i < fds; i++)
        {
            listeners.Add(Adopt(FirstFd + i, i < fdNames.Length ? fdNames[i] : null));
        }

        return listeners.Count > 0 ? listeners : null;
    }

    private static Listener Adopt(int fd, string? name)
    {
        try
        {
            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            // The constructor accepts any fd (even /dev/null); only a bound socket has a local address.
            if (socket.LocalEndPoint is null)
            {
                socket.Dispose();
                throw new StartupException($"fd {fd} from LISTEN_FDS: not a bound socket");
            }

            string origin = string.IsNullOrEmpty(name) ? $"socket activation, fd {fd}" : $"socket activation, fd {fd} \"{name}\"";
            return new Listener(socket, origin);
        }
        catch (SocketException e)
        {
            throw new StartupException($"fd {fd} from LISTEN_FDS: {e.Message}", e);
        }
    }
}
