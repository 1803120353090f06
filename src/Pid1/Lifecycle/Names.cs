using System;
using System.IO;

namespace Pid1.Lifecycle;

/// <summary>
/// Sandbox names: they become file names under /run/pid1, so they are checked before anything touches the
/// disk (no '/', no "." or "..", bounded), and a generated default stays within the same rules.
/// </summary>
internal static class Names
{
    public const int MaxLength = 64;

    /// <summary>Null when <paramref name="name"/> is usable, else why not.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0 || name.Length > MaxLength)
        {
            return $"must be 1 to {MaxLength} characters";
        }

        if (name[0] is '.' or '-')
        {
            return "must not start with '.' or '-'";
        }

        foreach (char c in name)
        {
            if (!IsAllowed(c))
            {
                return "may only contain A-Z a-z 0-9 _ . -";
            }
        }

        return null;
    }

    /// <summary>Throws the usage error "option '--name': 'a/b' may only contain ..." for a bad name.</summary>
    public static string Validated(string name) =>
        Problem(name) is string problem ? throw new Native.UsageException($"option '--name': '{name}' {problem}") : name;

    /// <summary>The program's base name and pid1's pid: "sleep-4711", unique among live sandboxes.</summary>
    public static string Generate(string program, int pid)
    {
        string suffix = "-" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Span<char> stem = stackalloc char[MaxLength - suffix.Length];
        string baseName = Path.GetFileName(program);
        int length = Math.Min(baseName.Length, stem.Length);
        for (int i = 0; i < length; i++)
        {
            stem[i] = IsAllowed(baseName[i]) ? baseName[i] : '_';
        }

        if (length == 0 || stem[0] == '.')
        {
            return "sandbox" + suffix;
        }

        return new string(stem.Slice(0, length)) + suffix;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';
}
