using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>`pid1 checkpoint`: the seed's "gzip the loop image", with the sandbox frozen, not stopped.</summary>
public sealed class LifecycleCheckpointTests : IDisposable
{
    private readonly LifecycleSandboxes sandboxes = new();
    private readonly string dir = Directory.CreateTempSubdirectory("life-ckpt-").FullName;

    public void Dispose()
    {
        sandboxes.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Checkpoint_FrozenGzipOfTheImage_ZeroFreeShrinksIt_SandboxKeepsRunning()
    {
        string name = sandboxes.NewName("ckpt");
        string image = Path.Combine(dir, "disk.img");
        string mount = Directory.CreateDirectory(Path.Combine(dir, "mnt")).FullName;
        string ready = Path.Combine(dir, "ready");
        Assert.Equal(0, Pid1Binary.RunCommand("truncate", "-s", "8M", image).ExitCode);
        Assert.Equal(0, Pid1Binary.RunCommand("mkfs.ext2", "-q", "-F", image).ExitCode);
        Assert.Equal(0, Pid1Binary.RunCommand("mkfifo", ready).ExitCode);

        // The program writes 2 MB of random data (synced, so it reaches the image pid1 mounted), deletes it,
        // keeps a small file and says ready.
        string script = $"mountpoint -q {mount} && " +
            $"dd if=/dev/urandom of={mount}/junk bs=1M count=2 conv=fsync status=none; rm {mount}/junk; " +
            $"echo kept > {mount}/keep; sync; echo ready > {ready}; exec sleep 2701";
        using var cgroup = new LifecycleCgroup(name);
        RunResult start = cgroup.RunPid1Inside("--detach", "--name", name, "-m", "--mount-image", $"{image}:{mount}", "/bin/sh", "-c", script);
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal("ready\n", File.ReadAllText(ready));

        string plain = Path.Combine(dir, "plain.gz");
        string zeroed = Path.Combine(dir, "zeroed.gz");
        RunResult first = Pid1Binary.Run("checkpoint", name, plain);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("verified", first.Stdout);
        RunResult second = Pid1Binary.Run("checkpoint", name, zeroed, "--zero-free");
        Assert.True(second.ExitCode == 0, second.ToString());

        Assert.True(new FileInfo(plain).Length > 1_500_000, "the deleted random data is still in the image");
        Assert.True(new FileInfo(zeroed).Length < 200_000, "--zero-free turned it into zeros");
        Assert.Equal("running", LifecycleSandboxes.Entry(name)!.Value.GetProperty("status").GetString());
        Assert.Equal(File.ReadAllBytes(image), Gunzip(zeroed));
        string unpacked = Path.Combine(dir, "restored.img");
        File.WriteAllBytes(unpacked, Gunzip(zeroed));
        Assert.Equal("kept\n", Pid1Binary.RunCommand("debugfs", "-R", "cat /keep", unpacked).Stdout);
        Assert.Equal(0, Pid1Binary.Run("stop", name).ExitCode);
    }

    [Fact]
    public void Checkpoint_WithoutCgroupOrImage_ClearErrors()
    {
        string name = sandboxes.NewName("nocg");
        string image = Path.Combine(dir, "small.img");
        string mount = Directory.CreateDirectory(Path.Combine(dir, "small")).FullName;
        string ready = Path.Combine(dir, "unmounted");
        Assert.Equal(0, Pid1Binary.RunCommand("truncate", "-s", "4M", image).ExitCode);
        Assert.Equal(0, Pid1Binary.RunCommand("mkfs.ext2", "-q", "-F", image).ExitCode);
        Assert.Equal(0, Pid1Binary.RunCommand("mkfifo", ready).ExitCode);

        // pid1 mounts the image; the program unmounts it again, so --zero-free finds nothing to fill.
        sandboxes.Detach(name, "-m", "--mount-image", $"{image}:{mount}", "/bin/sh", "-c", $"umount {mount}; echo unmounted > {ready}; exec sleep 2702");
        Assert.Equal("unmounted\n", File.ReadAllText(ready));
        RunResult noCgroup = Pid1Binary.Run("checkpoint", name, Path.Combine(dir, "x.gz"));
        Assert.Equal(125, noCgroup.ExitCode);
        Assert.Contains($"cannot freeze {name}: it has no cgroup of its own", noCgroup.Stderr);
        RunResult notMounted = Pid1Binary.Run("checkpoint", name, Path.Combine(dir, "x.gz"), "--zero-free");
        Assert.Equal(125, notMounted.ExitCode);
        Assert.Contains($"{image} is not mounted on {mount}", notMounted.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "x.gz")));

        string bare = sandboxes.NewName("noimg");
        sandboxes.Detach(bare, "sleep", "2703");
        RunResult noImage = Pid1Binary.Run("checkpoint", bare, Path.Combine(dir, "y.gz"));
        Assert.Equal(125, noImage.ExitCode);
        Assert.Contains($"{bare} has no --mount-image", noImage.Stderr);
    }

    [Fact]
    public void Checkpoint_OutputFillsItsDisk_Gives125WithWriteEnospc_LeavesNoTemporaryFile()
    {
        string name = sandboxes.NewName("full");
        string image = Path.Combine(dir, "random.img");
        string mount = Directory.CreateDirectory(Path.Combine(dir, "rnd")).FullName;
        string full = Directory.CreateDirectory(Path.Combine(dir, "full")).FullName;
        string ready = Path.Combine(dir, "written");
        Assert.Equal(0, Pid1Binary.RunCommand("truncate", "-s", "4M", image).ExitCode);
        Assert.Equal(0, Pid1Binary.RunCommand("mkfs.ext2", "-q", "-F", image).ExitCode);
        Assert.Equal(0, Pid1Binary.RunCommand("mkfifo", ready).ExitCode);

        // 1 MB of random data in the image: its archive cannot fit the 8 KiB disk the checkpoint writes to.
        string script = $"dd if=/dev/urandom of={mount}/random bs=1M count=1 conv=fsync status=none; echo written > {ready}; exec sleep 2704";
        using var cgroup = new LifecycleCgroup(name);
        RunResult start = cgroup.RunPid1Inside("--detach", "--name", name, "-m", "--mount-image", $"{image}:{mount}", "/bin/sh", "-c", script);
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal("written\n", File.ReadAllText(ready));

        RunResult mounted = Pid1Binary.RunCommand("mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", full);
        Assert.True(mounted.ExitCode == 0, mounted.ToString());
        try
        {
            string output = Path.Combine(full, "out.gz");
            RunResult r = Pid1Binary.Run("checkpoint", name, output);
            Assert.Equal(125, r.ExitCode);
            Assert.Equal($"pid1: write {output}.tmp: ENOSPC (No space left on device)\n", r.Stderr);
            Assert.Empty(Directory.GetFileSystemEntries(full));
        }
        finally
        {
            Assert.Equal(0, Pid1Binary.RunCommand("umount", full).ExitCode);
        }

        Assert.Equal("running", LifecycleSandboxes.Entry(name)!.Value.GetProperty("status").GetString());
        Assert.Equal(0, Pid1Binary.Run("stop", name).ExitCode);
    }

    private static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        gzip.CopyTo(bytes);
        return bytes.ToArray();
    }
}
