using System;
using System.IO;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>
/// PATH unset: the plain path (posix_spawn) and the clone path (any namespace option) search the same
/// directories, sbin included, and fail with the same code and line. The program is a script placed in the
/// host's /usr/local/sbin under a unique name for the test, and removed after it.
/// </summary>
public class ProgramSearchTests
{
    private const string SbinDir = "/usr/local/sbin";

    public static TheoryData<string[]> BothPaths => new() { Array.Empty<string>(), new[] { "-n" } };

    [Theory]
    [MemberData(nameof(BothPaths))]
    public void PathUnset_ProgramOnlyInSbin_Runs(string[] options)
    {
        string name = UniqueName();
        string script = Path.Combine(SbinDir, name);
        File.WriteAllText(script, "#!/bin/sh\necho found in sbin\n");
        try
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            RunResult r = RunWithoutPath([.. options, name]);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("found in sbin\n", r.Stdout);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public void PathUnset_NotFound_SameCodeAndLineOnBothPaths()
    {
        string name = UniqueName();
        AssertFailsAlikeOnBothPaths(name, 127, $"pid1: exec {name}: ENOENT (No such file or directory)\n");
    }

    [Fact]
    public void PathUnset_OnlyANotExecutableFileInSbin_Gives126WithEaccesOnBothPaths()
    {
        string name = UniqueName();
        string file = Path.Combine(SbinDir, name);
        File.WriteAllText(file, "#!/bin/sh\necho must not run\n");
        try
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            AssertFailsAlikeOnBothPaths(name, 126, $"pid1: exec {name}: EACCES (Permission denied)\n");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The plain path (no option) and the clone path (-n) exit with <paramref name="code"/> and print <paramref name="line"/>.</summary>
    private static void AssertFailsAlikeOnBothPaths(string name, int code, string line)
    {
        foreach (string[] args in new[] { new[] { name }, new[] { "-n", name } })
        {
            RunResult r = RunWithoutPath(args);
            Assert.True(r.ExitCode == code && r.Stderr == line, $"{string.Join(' ', args)}: expected {code} and {line}got {r}");
        }
    }

    private static string UniqueName() => "pid1-search-" + Guid.NewGuid().ToString("N")[..12];

    private static RunResult RunWithoutPath(string[] args) =>
        Pid1Binary.RunCommand(Pid1Binary.Path, args, TimeSpan.FromSeconds(30), null, info => info.Environment.Remove("PATH"));
}
