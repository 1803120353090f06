using System;
using System.IO;
using Xunit;

namespace Pid1.IntegrationTests.Sandbox;

/// <summary>User namespaces: the maps a program sees, for root and for an unprivileged caller (uid 65534).</summary>
[Collection(SubIdCollection.Name)]
public class SandboxUserTests
{
    private const string ShowIds = "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups";

    [Fact]
    public void UserNamespace_Unmapped_ProgramIsOverflowUser()
    {
        RunResult r = SandboxTools.Run("-U", "sh", "-c", "id -u; wc -c < /proc/self/uid_map");
        Assert.Equal("65534\n0\n", r.Stdout);
    }

    [Fact]
    public void MapRootUser_AsRoot_MapsZeroAndDeniesSetgroups()
    {
        RunResult r = SandboxTools.Run("-r", "sh", "-c", ShowIds);
        Assert.Equal("0\n0\n0 0 1\n0 0 1\ndeny\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void MapRootUser_Unprivileged_IsRootInside()
    {
        RunResult r = SandboxTools.RunAsNobody("-r", "sh", "-c", ShowIds);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("0\n0\n0 65534 1\n0 65534 1\ndeny\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void MapCurrentUser_Unprivileged_KeepsItsIds()
    {
        RunResult r = SandboxTools.RunAsNobody("-c", "sh", "-c", ShowIds);
        Assert.Equal("65534\n65534\n65534 65534 1\n65534 65534 1\ndeny\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void MapUserAndGroup_Unprivileged_ByNumberAndName()
    {
        RunResult r = SandboxTools.RunAsNobody("--map-user", "1234", "--map-group", "daemon", "sh", "-c", ShowIds);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("1234\n1\n1234 65534 1\n1 65534 1\ndeny\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void Unprivileged_UnshareAll_AddsUserNamespace_AndHostnameWorks()
    {
        RunResult r = SandboxTools.RunAsNobody("--unshare-all", "-r", "--hostname", "ids-unpriv", "sh", "-c", "hostname; readlink /proc/self/ns/user /proc/self/ns/net");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Trim().Split('\n');
        Assert.Equal("ids-unpriv", lines[0]);
        Assert.NotEqual(SandboxTools.HostNamespace("user"), lines[1]);
        Assert.NotEqual(SandboxTools.HostNamespace("net"), lines[2]);
    }

    [Fact]
    public void Unprivileged_NetworkWithoutUserNamespace_Is125WithEperm()
    {
        RunResult r = SandboxTools.RunAsNobody("-n", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("EPERM", r.Stderr);
    }

    [Theory]
    [InlineData("0:100000:65536")]
    [InlineData("100000,0,65536")]
    public void MapUsers_AsRoot_BothSyntaxes(string spec)
    {
        RunResult r = SandboxTools.Run("--map-users", spec, "--map-groups", spec, "cat", "/proc/self/uid_map", "/proc/self/gid_map");
        Assert.Equal("0 100000 65536\n0 100000 65536\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void MapRootUser_WithRange_PunchesAHole()
    {
        RunResult r = SandboxTools.Run("-r", "--map-users", "0:100000:10", "cat", "/proc/self/uid_map");
        Assert.Equal("0 0 1\n1 100000 9\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void MapAuto_AsRoot_UsesSubuidRange()
    {
        RunResult r = SandboxTools.Run("--map-auto", "cat", "/proc/self/uid_map", "/proc/self/gid_map");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"0 {SubIdFixture.RootStart} 65536\n0 {SubIdFixture.RootStart} 65536\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void MapUsers_Unprivileged_GoesThroughNewuidmap()
    {
        RunResult r = SandboxTools.RunAsNobody("-r", "--map-users", "1:" + SubIdFixture.NobodyStart + ":1000", "--map-groups", "1:" + SubIdFixture.NobodyStart + ":1000", "cat", "/proc/self/uid_map", "/proc/self/gid_map");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"0 65534 1\n1 {SubIdFixture.NobodyStart} 1000\n0 65534 1\n1 {SubIdFixture.NobodyStart} 1000\n", Squeeze(r.Stdout));
    }

    [Fact]
    public void MapUsers_Unprivileged_NotOwned_Is125AndNamesTheHelper()
    {
        RunResult r = SandboxTools.RunAsNobody("--map-users", "0:500000000:10", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("newuidmap", r.Stderr);
    }

    [Fact]
    public void SetgroupsAllow_AsRoot_IsWritten()
    {
        RunResult r = SandboxTools.Run("-r", "--setgroups", "allow", "cat", "/proc/self/setgroups");
        Assert.Equal("allow\n", r.Stdout);
    }

    [Fact]
    public void SetuidSetgid_InsideTheNamespace()
    {
        RunResult r = SandboxTools.Run("--map-users", "0:0:70000", "--map-groups", "0:0:70000", "-S", "1000", "-G", "1001", "sh", "-c", "id -u; id -g; id -G");
        Assert.Equal("1000\n1001\n1001\n", r.Stdout);
    }

    [Fact]
    public void KeepCaps_UnmappedUser_KeepsCapabilitiesAcrossExec()
    {
        string without = SandboxTools.Field(SandboxTools.Run("-U", "cat", "/proc/self/status").Stdout, "CapEff");
        string with = SandboxTools.Field(SandboxTools.Run("-U", "--keep-caps", "cat", "/proc/self/status").Stdout, "CapEff");
        Assert.Equal("0000000000000000", without);
        Assert.NotEqual("0000000000000000", with);
    }

    [Fact]
    public void MapUsers_BadSyntax_Is125NamingOption()
    {
        RunResult r = SandboxTools.Run("--map-users", "1:2", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("--map-users", r.Stderr);
        Assert.Contains("'1:2'", r.Stderr);
    }

    /// <summary>/proc/*/uid_map pads columns with spaces; one space between fields reads better in asserts.</summary>
    private static string Squeeze(string text) =>
        string.Join('\n', Array.ConvertAll(text.Split('\n'), l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
}

/// <summary>Temporary /etc/subuid and /etc/subgid lines for root (--map-auto) and nobody (newuidmap); removed after.</summary>
public sealed class SubIdFixture : IDisposable
{
    public const int RootStart = 1_300_000;
    public const int NobodyStart = 1_200_000;
    private static readonly string[] Lines = [$"0:{RootStart}:65536", $"65534:{NobodyStart}:65536"];

    private readonly string?[] originals = Array.ConvertAll(Files, f => File.Exists(f) ? File.ReadAllText(f) : null);

    public SubIdFixture()
    {
        foreach (string file in Files)
        {
            File.AppendAllLines(file, Lines);
        }
    }

    private static string[] Files => ["/etc/subuid", "/etc/subgid"];

    public void Dispose()
    {
        for (int i = 0; i < Files.Length; i++)
        {
            if (originals[i] is string text)
            {
                File.WriteAllText(Files[i], text);
            }
            else
            {
                File.Delete(Files[i]);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SubIdCollection : ICollectionFixture<SubIdFixture>
{
    public const string Name = "subid";
}
