using System.Collections.Generic;
using Pid1.Cli;
using Pid1.Native;
using Xunit;

namespace Pid1.Tests;

public class CommandLineTests
{
    private static Options Parse(params string[] argv) => Parse(new Dictionary<string, string>(), argv);

    private static Options Parse(Dictionary<string, string> environment, params string[] argv) =>
        CommandLine.Parse(argv, name => environment.TryGetValue(name, out string? v) ? v : null, callerIsRoot: true);

    [Fact]
    public void Parse_OptionsStopAtFirstNonOption_ProgramKeepsItsFlags()
    {
        Options o = Parse("-v", "ls", "-l", "--help");
        Assert.Equal("ls", o.Program);
        Assert.Equal(new[] { "-l", "--help" }, o.Arguments);
        Assert.False(o.ShowHelp);
        Assert.Equal(2, o.Verbosity);
    }

    [Theory]
    [InlineData("2", 2000)]
    [InlineData("0.25", 250)]
    [InlineData("3.", 3000)]
    [InlineData(".5", 500)]
    [InlineData("0.0015", 2)]
    [InlineData("0.0025", 2)]
    [InlineData("0.00251", 3)]
    [InlineData("86400", 86_400_000)]
    public void Parse_Grace_IsMillisecondsRoundedHalfToEven(string seconds, int milliseconds) =>
        Assert.Equal(milliseconds, Parse("--grace", seconds, "true").GraceMilliseconds);

    [Fact]
    public void Parse_DoubleDash_RunsProgramNamedLikeAnOption()
    {
        Options o = Parse("--", "-x", "y");
        Assert.Equal("-x", o.Program);
        Assert.Equal(new[] { "y" }, o.Arguments);
    }

    [Fact]
    public void Parse_ClusteredShortFlags_SetEachNamespace()
    {
        Options o = Parse("-fpmu", "true");
        Assert.Equal(Libc.CLONE_NEWPID | Libc.CLONE_NEWNS | Libc.CLONE_NEWUTS, o.Namespaces);
    }

    [Theory]
    [InlineData("-e3")]
    [InlineData("-e 3")]
    [InlineData("--remap-exit=3")]
    [InlineData("--remap-exit 3")]
    public void Parse_ValueSpellings_AllGiveTheSameValue(string spelling)
    {
        string[] parts = spelling.Split(' ');
        Options o = Parse([.. parts, "true"]);
        Assert.Equal(new[] { 3 }, o.RemapExit);
    }

    [Fact]
    public void Parse_RemapExitRepeated_KeepsEveryCode()
    {
        Assert.Equal(new[] { 1, 2 }, Parse("-e", "1", "-e", "2", "true").RemapExit);
    }

    [Theory]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("-Z", "unknown option '-Z'")]
    [InlineData("--grace=-1", "'--grace': '-1'")]
    [InlineData("--grace=86400.0001", "'--grace': '86400.0001' is not a number of seconds")]
    [InlineData("--grace=1e3", "'--grace': '1e3' is not a number of seconds")]
    [InlineData("--remap-exit=256", "'--remap-exit': '256'")]
    [InlineData("--pdeathsig=NOPE", "'--pdeathsig': 'NOPE' is not a signal")]
    [InlineData("--rewrite=TERM", "'--rewrite': 'TERM' is not FROM:TO")]
    [InlineData("--propagation=weird", "'--propagation': 'weird' is not one of")]
    [InlineData("--tmpfs=relative", "'--tmpfs': 'relative' is not an absolute path")]
    [InlineData("--listen=1.2.3:80", "'--listen': '1.2.3' is not an IP address")]
    [InlineData("--rlimit=NOFILE=10:5", "soft limit above the hard one")]
    public void Parse_BadValue_NamesOptionAndValue(string argument, string expected)
    {
        UsageException e = Assert.Throws<UsageException>(() => Parse(argument, "true"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Parse_SingleValuedOptionTwice_IsAnError()
    {
        UsageException e = Assert.Throws<UsageException>(() => Parse("--hostname=a", "--hostname=b", "-u", "true"));
        Assert.Contains("'--hostname' given twice", e.Message);
    }

    [Fact]
    public void Parse_NoProgram_IsAnError()
    {
        Assert.Contains("no program", Assert.Throws<UsageException>(() => Parse("-v")).Message);
        Assert.Contains("empty", Assert.Throws<UsageException>(() => Parse(string.Empty)).Message);
    }

    [Fact]
    public void Parse_Environment_SetsVerbosityAndSubreaper()
    {
        var environment = new Dictionary<string, string> { ["PID1_VERBOSITY"] = "3", ["PID1_SUBREAPER"] = "1" };
        Options o = Parse(environment, "true");
        Assert.Equal(3, o.Verbosity);
        Assert.True(o.Subreaper);
    }

    [Fact]
    public void Parse_ImpliedNamespaces_MountProcAndMapRootUser()
    {
        Options o = Parse("--mount-proc", "-r", "true");
        Assert.Equal(Libc.CLONE_NEWNS | Libc.CLONE_NEWUSER, o.Namespaces);
        Assert.Equal("/proc", o.MountProc);
    }

    [Fact]
    public void Parse_UnshareAll_AddsUserNamespaceOnlyForNonRoot()
    {
        Options root = CommandLine.Parse(["--unshare-all", "true"], _ => null, callerIsRoot: true);
        Options user = CommandLine.Parse(["--unshare-all", "true"], _ => null, callerIsRoot: false);
        Assert.Equal(0UL, root.Namespaces & Libc.CLONE_NEWUSER);
        Assert.Equal(Libc.CLONE_NEWUSER, user.Namespaces & Libc.CLONE_NEWUSER);
        Assert.Equal(root.Namespaces | Libc.CLONE_NEWUSER, user.Namespaces);
    }

    [Fact]
    public void Parse_Rewrite_MapsAndDrops()
    {
        Options o = Parse("--rewrite", "TERM:QUIT", "--rewrite", "SIGUSR1:0", "true");
        Assert.Equal(new[] { (Libc.SIGTERM, Libc.SIGQUIT), (Libc.SIGUSR1, 0) }, o.Rewrite);
    }

    [Fact]
    public void Parse_Mounts_KeepTheirOrder()
    {
        Options o = Parse("--bind", "/a:/b", "--tmpfs", "/tmp:size=1m,mode=1777", "--ro-bind", "/c", "--mount-image", "x.img:/mnt:ro", "true");
        Assert.Equal(
            new[]
            {
                new MountRequest(MountKind.Bind, "/a", "/b", string.Empty),
                new MountRequest(MountKind.Tmpfs, "tmpfs", "/tmp", "size=1m,mode=1777"),
                new MountRequest(MountKind.ReadOnlyBind, "/c", "/c", string.Empty),
                new MountRequest(MountKind.Image, "x.img", "/mnt", "ro"),
            },
            o.Mounts);
    }
}
