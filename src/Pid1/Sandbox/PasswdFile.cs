using System;
using System.Collections.Generic;
using System.Globalization;

namespace Pid1.Sandbox;

internal sealed record PasswdEntry(string Name, uint Uid, uint Gid)
{
    /// <summary>The name only: the generated ToString, kept in the binary because object.ToString is virtual, formats every member.</summary>
    public override string ToString() => nameof(PasswdEntry);
}

/// <remarks>A class, not a record: nothing compares it by value, and a record's Equals and GetHashCode would stay in the binary (object's are virtual).</remarks>
internal sealed class GroupEntry(string Name, uint Gid, IReadOnlyList<string> Members)
{
    public string Name { get; } = Name;

    public uint Gid { get; } = Gid;

    public IReadOnlyList<string> Members { get; } = Members;
}

/// <summary>
/// /etc/passwd and /etc/group read by pid1 itself: the binary is static, so glibc's getpwnam would need NSS
/// modules it cannot load, and the files that count are the NEW root's, not the host's.
/// </summary>
internal static class PasswdFile
{
    /// <summary>name:password:uid:gid:gecos:home:shell; comments, blank, NIS (+/-) and malformed lines are skipped.</summary>
    public static PasswdEntry[] ParsePasswd(string text)
    {
        var entries = new List<PasswdEntry>();
        foreach (string[] f in Records(text, 7))
        {
            if (Id(f[2]) is uint uid && Id(f[3]) is uint gid)
            {
                entries.Add(new PasswdEntry(f[0], uid, gid));
            }
        }

        return entries.ToArray();
    }

    /// <summary>name:password:gid:member,member.</summary>
    public static GroupEntry[] ParseGroup(string text)
    {
        var entries = new List<GroupEntry>();
        foreach (string[] f in Records(text, 4))
        {
            if (Id(f[2]) is uint gid)
            {
                entries.Add(new GroupEntry(f[0], gid, f[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            }
        }

        return entries.ToArray();
    }

    /// <summary>A decimal id below 2^32−1 (−1 means "unchanged" to the set*id calls), else null.</summary>
    public static uint? Id(string text) =>
        text.Length > 0 && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) && id != uint.MaxValue
            ? id
            : null;

    private static List<string[]> Records(string text, int fields)
    {
        var records = new List<string[]>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] is '#' or '+' or '-')
            {
                continue;
            }

            string[] f = line.Split(':');
            if (f.Length == fields && f[0].Length > 0)
            {
                records.Add(f);
            }
        }

        return records;
    }
}
