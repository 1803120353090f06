using System;
using System.Text;

namespace Pid1.Native;

/// <summary>
/// One-line messages on stderr through write(2), prefixed "pid1: ". Never the BCL console class (hazard 1), and the
/// <see cref="Line"/> builder formats into a stack buffer, so the supervisor loop logs without allocating.
/// </summary>
internal static unsafe class Log
{
    /// <summary>0 = errors only (-q also hides warnings), 1 = warnings (default), 2+ = -v, -vv.</summary>
    public static int Verbosity { get; set; } = 1;

    public static void Error(string message) => Write(message);

    public static void Warning(string message)
    {
        if (Verbosity >= 1)
        {
            Write(message);
        }
    }

    public static void Info(string message)
    {
        if (Verbosity >= 2)
        {
            Write(message);
        }
    }

    private static void Write(string message)
    {
        Span<byte> buffer = stackalloc byte[1024];
        var line = new Line(buffer);
        line.Append(message);
        line.WriteToStderr();
    }

    /// <summary>Builds "pid1: ...\n" in a caller-supplied buffer; truncates rather than overflowing.</summary>
    public ref struct Line
    {
        private readonly Span<byte> buffer;
        private int length;

        public Line(Span<byte> buffer)
        {
            this.buffer = buffer;
            length = 0;
            Append("pid1: "u8);
        }

        public void Append(ReadOnlySpan<byte> text)
        {
            int n = Math.Min(text.Length, buffer.Length - 1 - length);
            text.Slice(0, n).CopyTo(buffer.Slice(length));
            length += n;
        }

        public void Append(string text)
        {
            Span<byte> rest = buffer.Slice(length, buffer.Length - 1 - length);
            length += Encoding.UTF8.TryGetBytes(text, rest, out int written) ? written : AppendAscii(text, rest);
        }

        /// <summary>Utf8Formatter, not TryFormat with a culture: the first use of CultureInfo allocates.</summary>
        public void Append(long value)
        {
            if (System.Buffers.Text.Utf8Formatter.TryFormat(value, buffer.Slice(length, buffer.Length - 1 - length), out int written))
            {
                length += written;
            }
        }

        public readonly void WriteToStderr()
        {
            buffer[length] = (byte)'\n';
            fixed (byte* p = buffer)
            {
                Libc.write(Libc.STDERR_FILENO, p, (nuint)(length + 1));
            }
        }

        private static int AppendAscii(string text, Span<byte> rest)
        {
            int n = 0;
            for (; n < rest.Length && n < text.Length; n++)
            {
                rest[n] = text[n] < 0x80 ? (byte)text[n] : (byte)'?';
            }

            return n;
        }
    }
}
