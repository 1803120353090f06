using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>
/// Mount destinations are resolved inside the new root: a symlink or ".." cannot carry a mount (or a created
/// mount point) outside it, and a failure leaves nothing in the caller's namespace.
/// </summary>
public class SandboxEscapeTests
{
    [Fact]
    public void Tmpfs_OnSymlinkToEtc_CoversTheRootsEtcNotTheHosts()
    {
        using var root = new SandboxRootfs().WithSymlink("evil", "/etc");
        string[] before = HostState.MountPoints();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--proc", "/proc", "--tmpfs", "/evil", "/bin/sh", "-c", "grep tmpfs /proc/self/mountinfo | cut -d' ' -f5; ls -A /etc | wc -l");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/etc\n0\n", r.Stdout);
        Assert.True(File.Exists(root.PathOf("etc/passwd")));
        Assert.Equal(before, HostState.MountPoints());
        Assert.True(File.Exists("/etc/passwd"));
    }

    [Fact]
    public void Bind_OnDotDotPath_StaysInsideTheRoot()
    {
        using var root = new SandboxRootfs();
        using var source = new SandboxRootfs().WithFile("data/marker", "from the bind\n");
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--proc", "/proc", "--bind", source.PathOf("data") + ":/../../etc", "/bin/sh", "-c", "cat /etc/marker; grep -c ' /etc ' /proc/self/mountinfo");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("from the bind\n1\n", r.Stdout);
        Assert.False(File.Exists("/etc/marker"));
    }

    [Fact]
    public void Tmpfs_ThroughDanglingSymlinkOut_FailsAndCreatesNothingOutside()
    {
        string outside = "/tmp/pid1-fs-outside-" + Guid.NewGuid().ToString("N");
        using var root = new SandboxRootfs().WithSymlink("out", outside + "/sub");
        string[] before = HostState.MountPoints();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--tmpfs", "/out/x", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal("pid1: mount tmpfs on /out/x: ENOENT (No such file or directory)\n", r.Stderr);
        Assert.False(Directory.Exists(outside));
        Assert.False(Directory.Exists(root.PathOf(outside)));
        Assert.Equal(before, HostState.MountPoints());
    }

    [Fact]
    public void Tmpfs_ThroughProcMagicLink_IsRefusedWithELOOP()
    {
        using var root = new SandboxRootfs();
        string[] before = HostState.MountPoints();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--proc", "/proc", "--tmpfs", "/proc/self/root/etc", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal("pid1: mount tmpfs on /proc/self/root/etc: ELOOP (Too many levels of symbolic links)\n", r.Stderr);
        Assert.Equal(before, HostState.MountPoints());
    }

    [Fact]
    public void Bind_MissingSource_Gives125AndCreatesNoMountPoint()
    {
        using var root = new SandboxRootfs();
        string missing = "/tmp/pid1-fs-missing-" + Guid.NewGuid().ToString("N");
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--bind", missing + ":/data/x", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal($"pid1: bind source {missing}: ENOENT (No such file or directory)\n", r.Stderr);
        Assert.False(Directory.Exists(root.PathOf("data")));
    }
}
