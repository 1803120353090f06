using System.IO;
using Xunit;

namespace Pid1.IntegrationTests.Sandbox;

/// <summary>--user, --groups, capabilities, no_new_privs and rlimits, as `id` and /proc/self/status show them.</summary>
public class SandboxIdentityTests
{
    [Fact]
    public void User_ByName_DropsEveryId()
    {
        RunResult r = SandboxTools.Run("--user", "nobody", "sh", "-c", "id -u; id -g; id -G; grep -E '^(Uid|Gid):' /proc/self/status");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("65534\n65534\n65534\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n", r.Stdout);
    }

    [Fact]
    public void User_FromTheNewRootsFiles_WithSupplementaryGroups()
    {
        string root = NewRoot();
        RunResult r = SandboxTools.Run("-R", root, "--user", "alice", "/bin/busybox", "sh", "-c", "/bin/busybox id -u; /bin/busybox id -g; /bin/busybox id -G");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("4242\n4343\n4343 5555 5556\n", r.Stdout);
    }

    [Fact]
    public void User_WithGroupAndExplicitGroups()
    {
        string root = NewRoot();
        RunResult r = SandboxTools.Run("-R", root, "--user", "alice:5556", "--groups", "team,77", "/bin/busybox", "sh", "-c", "/bin/busybox id -g; /bin/busybox id -G");
        // id lists the gid first, then the kernel's (sorted) supplementary list.
        Assert.Equal("5556\n5556 77 5555\n", r.Stdout);
    }

    [Fact]
    public void User_PasswdSymlinkedAbsolutely_ResolvesInsideTheNewRoot()
    {
        string root = NewRoot();
        File.Move(Path.Join(root, "etc/passwd"), Path.Join(root, "etc/passwd.image"));
        File.CreateSymbolicLink(Path.Join(root, "etc/passwd"), "/etc/passwd.image");
        RunResult r = SandboxTools.Run("-R", root, "--user", "alice", "/bin/busybox", "id", "-u");
        Assert.Equal("4242\n", r.Stdout);
    }

    [Fact]
    public void User_NotInTheNewRoot_Is125NamingUserAndFile()
    {
        string root = NewRoot();
        RunResult r = SandboxTools.Run("-R", root, "--user", "nobody", "/bin/busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("'nobody'", r.Stderr);
        Assert.Contains(Path.Join(root, "etc/passwd"), r.Stderr);
    }

    [Fact]
    public void User_NumericWithoutEntry_NeedsAGroup()
    {
        Assert.Equal(125, SandboxTools.Run("--user", "4711", "true").ExitCode);
        RunResult r = SandboxTools.Run("--user", "4711:4712", "sh", "-c", "id -u; id -g");
        Assert.Equal("4711\n4712\n", r.Stdout);
    }

    [Fact]
    public void CapAdd_NetBindService_LetsNobodyBindPort80()
    {
        RunResult denied = SandboxTools.Run("-n", "--user", "nobody", SandboxTools.Probe, "bind", "80");
        Assert.Equal("bind: Permission denied\n", denied.Stdout);
        RunResult bound = SandboxTools.Run("-n", "--user", "nobody", "--cap-add", "net_bind_service", "--cap-drop", "ALL", SandboxTools.Probe, "bind", "80");
        Assert.Equal("bound\n", bound.Stdout);
    }

    [Fact]
    public void CapAdd_ForNobody_ShowsInEveryCapabilitySet()
    {
        string status = SandboxTools.Run("--user", "nobody", "--cap-drop", "all", "--cap-add", "CAP_NET_BIND_SERVICE", "cat", "/proc/self/status").Stdout;
        foreach (string set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            Assert.Equal("0000000000000400", SandboxTools.Field(status, set));
        }
    }

    [Fact]
    public void CapDropAll_AsRoot_LeavesNoCapability()
    {
        string status = SandboxTools.Run("--cap-drop", "all", "cat", "/proc/self/status").Stdout;
        Assert.Equal("0000000000000000", SandboxTools.Field(status, "CapEff"));
        Assert.Equal("0000000000000000", SandboxTools.Field(status, "CapBnd"));
        string secret = Path.Join(SandboxTools.NewDir("caps"), "secret");
        File.WriteAllText(secret, "x");
        File.SetUnixFileMode(secret, UnixFileMode.None);
        Assert.Equal("x", SandboxTools.Run("cat", secret).Stdout);
        Assert.Equal(1, SandboxTools.Run("--cap-drop", "all", "cat", secret).ExitCode);
    }

    [Fact]
    public void CapDrop_One_RemovesItFromTheBoundingSet()
    {
        string host = SandboxTools.Field(File.ReadAllText("/proc/self/status"), "CapBnd");
        string status = SandboxTools.Run("--cap-drop", "net_raw", "cat", "/proc/self/status").Stdout;
        ulong expected = System.Convert.ToUInt64(host, 16) & ~(1UL << 13);
        Assert.Equal(expected.ToString("x16"), SandboxTools.Field(status, "CapBnd"));
    }

    [Theory]
    [InlineData("--cap-add", "NET_BOGUS")]
    [InlineData("--cap-drop", "cap_nothing")]
    public void UnknownCapability_Is125NamingOptionAndValue(string option, string value)
    {
        RunResult r = SandboxTools.Run(option, value, "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains(option, r.Stderr);
        Assert.Contains(value, r.Stderr);
    }

    [Fact]
    public void NoNewPrivs_IsSet()
    {
        string status = SandboxTools.Run("--no-new-privs", "cat", "/proc/self/status").Stdout;
        Assert.Equal("1", SandboxTools.Field(status, "NoNewPrivs"));
    }

    [Fact]
    public void Rlimit_AppliesSoftAndHard_ForNobody()
    {
        RunResult r = SandboxTools.Run("--user", "nobody", "--rlimit", "NOFILE=100:200", "--rlimit", "rlimit_core=0", "sh", "-c", "ulimit -n; ulimit -Hn; grep 'core file' /proc/self/limits");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches("^100\n200\nMax core file size +0 +0 +bytes", r.Stdout);
    }

    /// <summary>A root with its own passwd and group (and a static busybox, so it also works once -R chroots).</summary>
    private static string NewRoot()
    {
        string root = SandboxTools.NewDir("root");
        Directory.CreateDirectory(Path.Join(root, "etc"));
        Directory.CreateDirectory(Path.Join(root, "bin"));
        File.WriteAllText(Path.Join(root, "etc/passwd"), "# users of the test root\nroot:x:0:0:root:/root:/bin/sh\nalice:x:4242:4343:Alice:/home/alice:/bin/sh\n");
        File.WriteAllText(Path.Join(root, "etc/group"), "root:x:0:\nalice:x:4343:\nteam:x:5555:bob,alice\nops:x:5556:alice\nother:x:5557:bob\n");
        File.Copy("/usr/bin/busybox", Path.Join(root, "bin/busybox"));
        File.SetUnixFileMode(Path.Join(root, "bin/busybox"), (UnixFileMode)0x1ED);
        return root;
    }
}
