using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Pid1.Sandbox;

internal sealed record PasswdEntry(string Name, uint Uid, uint Gid);

internal sealed record GroupEntry(string Name, uint Gid, IReadOnlyList<string> Members);

/// <summary>
/// /etc/passwd and /etc/group read by pid1 itself: the binary is static, so glibc's getpwnam would need NSS
/// modules it cannot load, and the files that count are the NEW root's, not the host's.
/// </summary>
internal static class PasswdFile
{
    /// <summary>name:password:uid:gid:gecos:home:shell; comments, blank, NIS (+/-) and malformed lines are skipped.</summary>
    public static IReadOnlyList<PasswdEntry> ParsePasswd(string text) =>
        Records(text, 7)
            .Where(f => Id(f[2]) is not null && Id(f[3]) is not null)
            .Select(f => new PasswdEntry(f[0], Id(f[2])!.Value, Id(f[3])!.Value))
            .ToArray();

    /// <summary>name:password:gid:member,member.</summary>
    public static IReadOnlyList<GroupEntry> ParseGroup(string text) =>
        Records(text, 4)
            .Where(f => Id(f[2]) is not null)
            .Select(f => new GroupEntry(f[0], Id(f[2])!.Value, f[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            .ToArray();

    /// <summary>A decimal id below 2^32−1 (−1 means "unchanged" to the set*id calls), else null.</summary>
    public static uint? Id(string text) =>
        text.Length > 0 && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) && id != uint.MaxValue
            ? id
            : null;

    private static IEnumerable<string[]> Records(string text, int fields) =>
        text.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Where(line => line.Length > 0 && line[0] is not ('#' or '+' or '-'))
            .Select(line => line.Split(':'))
            .Where(f => f.Length == fields && f[0].Length > 0);
}
