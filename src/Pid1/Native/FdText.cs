using System.IO;
using System.Text;

namespace Pid1.Native;

/// <summary>Small text files read with plain read(2): no FileStream (and its flock) in the binary's paths.</summary>
internal static unsafe class FdText
{
    /// <summary>Reads <paramref name="fd"/> to its end as UTF-8, retrying EINTR; an error names "read <paramref name="shown"/>".</summary>
    public static string ReadToEnd(int fd, string shown)
    {
        var bytes = new MemoryStream();
        byte* buffer = stackalloc byte[4096];
        nint n;
        while ((n = Libc.read(fd, buffer, 4096)) != 0)
        {
            if (n == -Libc.EINTR)
            {
                continue;
            }

            Check.Ok((long)n, $"read {shown}");
            bytes.Write(new System.ReadOnlySpan<byte>(buffer, (int)n));
        }

        return Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }
}
