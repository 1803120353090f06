using System.Collections.Generic;
using System.IO;
using Pid1.Native;

namespace Pid1.Init;

/// <summary>
/// How PROGRAM becomes a file, the same on every spawn path and as execvp does it: a name with a slash is used
/// as is; otherwise each directory of PATH in turn, or of <see cref="DefaultPath"/> when PATH is unset or empty
/// (musl's own default, /usr/local/bin:/bin:/usr/bin, has no sbin directory). ENOENT and ENOTDIR try the next
/// directory, EACCES is remembered and reported if nothing else is found, any other error ends the search.
/// </summary>
internal static class ProgramSearch
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>
    /// The libc's own search (posix_spawnp) looks where <see cref="Candidates"/> does, in the same order: the
    /// name has a slash, or PATH (<paramref name="path"/>, null when unset) is set and not empty.
    /// </summary>
    public static bool LibcSearchesAlike(string program, string? path) => program.Contains('/') || path is { Length: > 0 };

    /// <summary>Where execvp would look: the name itself if it has a slash, else each directory searched.</summary>
    public static IReadOnlyList<string> Candidates(string program, string? path)
    {
        if (program.Contains('/'))
        {
            return [program];
        }

        string[] dirs = (path is { Length: > 0 } ? path : DefaultPath).Split(':');
        var candidates = new string[dirs.Length];
        for (int i = 0; i < dirs.Length; i++)
        {
            candidates[i] = Path.Join(dirs[i].Length == 0 ? "." : dirs[i], program);
        }

        return candidates;
    }

    /// <summary>
    /// After a candidate failed with <paramref name="errno"/>: whether to try the next one, and in
    /// <paramref name="reported"/> the errno to report when none is left (start with ENOENT). As musl's execvp:
    /// the last error, except that an EACCES seen on the way wins. Allocates nothing: it runs between clone and exec.
    /// </summary>
    public static bool TryNext(int errno, ref int reported)
    {
        if (errno is Libc.ENOENT or Libc.ENOTDIR)
        {
            reported = reported == Libc.EACCES ? reported : errno;
            return true;
        }

        reported = errno;
        return errno == Libc.EACCES;
    }
}
