using System;
using System.IO;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>--mount-image IMG:DEST[:ro]: a loop device attached for the run and freed after it, even on error.</summary>
public sealed class SandboxImageTests : IDisposable
{
    private readonly SandboxRootfs root = new();

    private string Image => root.PathOf("image.ext4");

    public void Dispose() => root.Dispose();

    [Fact]
    public void MountImage_WritesPersistAndTheLoopDeviceIsFreed()
    {
        MakeExt4(Image);
        RunResult write = Pid1Binary.Run("-v", "--rootfs", root.Dir, "--proc", "/proc", "--mount-image", Image + ":/data", "/bin/sh", "-c", "echo persisted > /data/f && grep ' /data ' /proc/self/mountinfo");
        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.Matches(@" /data rw,nosuid,nodev[^ ]* - ext4 /dev/loop\d+ ", write.Stdout);
        Assert.Matches($@"pid1: image {Image} on /dev/loop\d+: detected ext4\n", write.Stderr);
        Assert.Equal(string.Empty, HostState.LoopDevicesOf(Image));

        RunResult read = Pid1Binary.Run("--rootfs", root.Dir, "--mount-image", Image + ":/data:ro", "/bin/sh", "-c", "cat /data/f; echo x > /data/g");
        Assert.NotEqual(0, read.ExitCode);
        Assert.Equal("persisted\n", read.Stdout);
        Assert.Contains("Read-only file system", read.Stderr);
        Assert.Equal(string.Empty, HostState.LoopDevicesOf(Image));
    }

    [Fact]
    public void MountImage_NotAFilesystem_Gives125NamingTheImageAndLeavesNoLoopDevice()
    {
        File.WriteAllBytes(Image, new byte[1 << 20]);
        string[] before = HostState.MountPoints();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--mount-image", Image + ":/data", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Matches($@"^pid1: mount image {Image} \(/dev/loop\d+, no known superblock, tried [a-z0-9, ]+\) on /data: EINVAL \(Invalid argument\)\n$", r.Stderr);
        Assert.Equal(string.Empty, HostState.LoopDevicesOf(Image));
        Assert.Equal(before, HostState.MountPoints());
    }

    [Fact]
    public void MountImage_Missing_Gives125WithENOENT()
    {
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--mount-image", Image + ":/data", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal($"pid1: open image {Image}: ENOENT (No such file or directory)\n", r.Stderr);
    }

    [Fact]
    public void MountImage_SecondImageMissing_FirstIsDetachedAgain()
    {
        MakeExt4(Image);
        string missing = root.PathOf("missing.img");
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--mount-image", Image + ":/a", "--mount-image", missing + ":/b", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal($"pid1: open image {missing}: ENOENT (No such file or directory)\n", r.Stderr);
        Assert.Equal(string.Empty, HostState.LoopDevicesOf(Image));
        Assert.False(Directory.Exists(root.PathOf("a")));
    }

    [Fact]
    public void MountImage_ProgramNotFound_StillFreesTheLoopDevice()
    {
        MakeExt4(Image);
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--mount-image", Image + ":/data", "/no/such/program");
        Assert.Equal(127, r.ExitCode);
        Assert.Equal(string.Empty, HostState.LoopDevicesOf(Image));
    }

    private static void MakeExt4(string path)
    {
        using (FileStream file = File.Create(path))
        {
            file.SetLength(8 << 20);
        }

        RunResult r = Pid1Binary.RunCommand(HostState.Tool("mkfs.ext4"), "-q", "-F", path);
        Assert.True(r.ExitCode == 0, r.ToString());
    }
}
