using System.Globalization;
using System.Text;
using Pid1.Native;

namespace Pid1.Lifecycle;

/// <summary>
/// --status-fd: one JSON line per lifecycle event, written with write(2) by the outer pid1:
/// {"event":"started",...} once the program runs, {"event":"exited",...} when pid1 is about to exit.
/// </summary>
internal static unsafe class StatusEvents
{
    /// <summary>The fd must be open; it is made close-on-exec so the program does not hold the reader open.</summary>
    public static void Prepare(int fd)
    {
        if (fd >= 0 && Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC) < 0)
        {
            throw new UsageException($"option '--status-fd': fd {fd} is not open");
        }
    }

    /// <summary>Checks the fd is open without changing it (the launcher of --detach passes it on).</summary>
    public static void Validate(int fd)
    {
        if (fd >= 0 && Libc.fcntl(fd, Libc.F_GETFD, 0) < 0)
        {
            throw new UsageException($"option '--status-fd': fd {fd} is not open");
        }
    }

    public static void Started(int fd, SandboxState state)
    {
        if (fd < 0)
        {
            return; // named or detached runs without --status-fd come here too: nothing to build
        }

        var json = new StringBuilder("{\"event\":\"started\"");
        if (state.Name.Length > 0)
        {
            Json.Property(json, "name", state.Name);
        }

        Json.Property(json, "pid", state.Child);
        Json.Property(json, "pid1", state.Pid);
        json.Append(",\"namespaces\":{");
        for (int i = 0; i < state.Namespaces.Count; i++)
        {
            json.Append(i == 0 ? "\"" : ",\"").Append(state.Namespaces[i].Kind).Append("\":")
                .Append(state.Namespaces[i].Inode.ToString(CultureInfo.InvariantCulture));
        }

        json.Append('}');
        Json.Property(json, "cgroup", state.Cgroup);
        Write(fd, json.Append("}\n"));
    }

    /// <summary>code is pid1's exit code; signal is N when that code is 128+N (the program died of signal N).</summary>
    public static void Exited(int fd, int code)
    {
        if (fd < 0)
        {
            // Nothing to write: no JSON either. Building it allocated (number formatting's tables, a fresh GC
            // allocation region) between the program's exit and pid1's, on every run.
            return;
        }

        var json = new StringBuilder("{\"event\":\"exited\"");
        Json.Property(json, "code", code);
        json.Append(",\"signal\":").Append(code is > 128 and <= 128 + Init.Signals.Max ? (code - 128).ToString(CultureInfo.InvariantCulture) : "null");
        Write(fd, json.Append("}\n"));
    }

    private static void Write(int fd, StringBuilder json) => Output.Write(fd, json.ToString());
}

/// <summary>The few JSON pieces pid1 writes: properties with escaped strings, no serializer (binary size).</summary>
internal static class Json
{
    public static void Property(StringBuilder json, string key, string value)
    {
        json.Append(",\"").Append(key).Append("\":");
        String(json, value);
    }

    public static void Property(StringBuilder json, string key, long value) =>
        json.Append(",\"").Append(key).Append("\":").Append(value.ToString(CultureInfo.InvariantCulture));

    public static void String(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case < ' ': json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }

        json.Append('"');
    }
}

/// <summary>Writes whole strings to an fd with write(2), retrying short writes (never the BCL console class: hazard 1).</summary>
internal static class Output
{
    /// <summary>A failed write is dropped: a closed stdout or status fd leaves nothing else to tell.</summary>
    public static void Write(int fd, string text) => _ = Files.WriteAll(fd, Encoding.UTF8.GetBytes(text));

    public static void Stdout(string text) => Write(Libc.STDOUT_FILENO, text);
}
