using System;
using System.Globalization;
using System.Net;

namespace EchoServer;

/// <summary>The parsed command line. Port and Address are ignored when sockets are passed (LISTEN_FDS).</summary>
internal sealed record Options(int Port, IPAddress Address, bool WhoAmI, bool Help)
{
    public const string Usage =
        "usage: echo-server [--port N] [--bind ADDR]   (default 0.0.0.0:7; LISTEN_FDS sockets win)\n" +
        "       echo-server --whoami                   (print pid, uid, gid, hostname and exit)";

    public static Options Parse(string[] args)
    {
        var options = new Options(7, IPAddress.Any, WhoAmI: false, Help: false);
        for (int i = 0; i < args.Length; i++)
        {
            (string name, string? inlineValue) = Split(args[i]);
            switch (name)
            {
                case "--port":
                    options = options with { Port = ParsePort(inlineValue ?? ValueAfter(args, ref i)) };
                    break;
                case "--bind":
                    options = options with { Address = ParseAddress(inlineValue ?? ValueAfter(args, ref i)) };
                    break;
                case "--whoami" when inlineValue is null:
                    options = options with { WhoAmI = true };
                    break;
                case "-h" or "--help" when inlineValue is null:
                    options = options with { Help = true };
                    break;
                default:
                    throw new UsageException($"unknown argument '{args[i]}'");
            }
        }

        return options;
    }

    /// <summary>"--port=7" → ("--port", "7"); "--port" → ("--port", null).</summary>
    private static (string Name, string? Value) Split(string arg)
    {
        int equals = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
    }

    private static string ValueAfter(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new UsageException($"{args[i]} needs a value");
        }

        return args[++i];
    }

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= IPEndPoint.MaxPort
            ? port
            : throw new UsageException($"--port '{value}': not a port number (0-65535)");

    private static IPAddress ParseAddress(string value) =>
        IPAddress.TryParse(value, out var address)
            ? address
            : throw new UsageException($"--bind '{value}': not an IPv4 or IPv6 address");
}
