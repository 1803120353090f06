using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>--bind, --ro-bind, --tmpfs, --proc and --dev under a new root, as the program inside sees them.</summary>
public class SandboxMountTests
{
    [Fact]
    public void Bind_WritesInsideReachTheHostDirectory()
    {
        using var root = new SandboxRootfs();
        using var shared = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--bind", shared.PathOf("etc") + ":/data/etc", "/bin/sh", "-c", "cat /data/etc/passwd | head -1; echo from-inside > /data/etc/new");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("root:x:0:0:root:/:/bin/sh\n", r.Stdout);
        Assert.Equal("from-inside\n", File.ReadAllText(shared.PathOf("etc/new")));
    }

    [Fact]
    public void Bind_AFile_IsMountedOnAnEmptyFileInsideTheRoot()
    {
        using var root = new SandboxRootfs();
        using var other = new SandboxRootfs().WithFile("note", "a file\n");
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--bind", other.PathOf("note") + ":/etc/note", "/bin/cat", "/etc/note");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("a file\n", r.Stdout);
        Assert.Equal(0, new FileInfo(root.PathOf("etc/note")).Length);
    }

    [Fact]
    public void RoBind_WritingFailsWithEROFS()
    {
        using var root = new SandboxRootfs();
        using var shared = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--ro-bind", shared.PathOf("etc") + ":/ro", "/bin/sh", "-c", "grep -q root /ro/passwd && echo readable; echo x > /ro/new");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal("readable\n", r.Stdout);
        Assert.Contains("/ro/new: Read-only file system", r.Stderr);
        Assert.False(File.Exists(shared.PathOf("etc/new")));
    }

    [Fact]
    public void RoBind_KeepsTheSourcesNosuidNodevNoexec()
    {
        using var root = new SandboxRootfs();
        using var shared = new SandboxRootfs();

        // The source is a nosuid,nodev,noexec tmpfs in a mount namespace of its own (unshare -m), so the
        // caller's namespace gets nothing; pid1 runs inside it.
        string script = $"mount -t tmpfs -o nosuid,nodev,noexec tmpfs {shared.Dir} && exec {Pid1Binary.Path} --rootfs {root.Dir} --proc /proc --ro-bind {shared.Dir}:/ro /bin/grep ' /ro ' /proc/self/mountinfo";
        RunResult r = Pid1Binary.RunCommand(HostState.Tool("unshare"), "-m", "/bin/sh", "-c", script);
        Assert.True(r.ExitCode == 0, r.ToString());
        string options = r.Stdout.Split(' ')[5];
        Assert.Equal(["nodev", "noexec", "nosuid", "ro"], options.Split(',').Where(o => o != "relatime").Order().ToArray());
    }

    [Fact]
    public void Tmpfs_SizeOneMegabyte_WritingTwoFailsWithENOSPC()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--dev", "/dev", "--tmpfs", "/scratch:size=1m,mode=1777", "/bin/sh", "-c", "stat -c %a /scratch; dd if=/dev/zero of=/scratch/big bs=1M count=2");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal("1777\n", r.Stdout);
        Assert.Contains("No space left on device", r.Stderr);
    }

    [Fact]
    public void DevAndProc_InsideRootfs_TheSeedsChrootProblemIsGone()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run(
            "--rootfs", root.Dir, "--dev", "/dev", "--proc", "/proc", "/bin/sh", "-c",
            "echo hi > /dev/null && echo null-ok; head -c 16 /dev/urandom | wc -c; ls /proc/1 | grep -x status; ls /dev | tr '\\n' ' '; echo; readlink /dev/ptmx; readlink /dev/fd; test -c /dev/pts/ptmx && echo pts-ok; echo x > /dev/full");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("No space left on device", r.Stderr);
        string[] lines = r.Stdout.Split('\n');
        Assert.Equal("null-ok", lines[0]);
        Assert.Equal("16", lines[1].Trim());
        Assert.Equal("status", lines[2]);
        Assert.Equal("fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ", lines[3]);
        Assert.Equal(["pts/ptmx", "/proc/self/fd", "pts-ok"], lines[4..7]);
    }

    [Fact]
    public void Dev_MountTable_HasAPrivateDevptsAndShm()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--dev", "/dev", "--proc", "/proc", "/bin/cat", "/proc/self/mountinfo");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[][] mounts = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToArray();
        string TypeAt(string point) => mounts.Single(m => m[4] == point).SkipWhile(f => f != "-").ElementAt(1);
        Assert.Equal("tmpfs", TypeAt("/dev"));
        Assert.Equal("devpts", TypeAt("/dev/pts"));
        Assert.Equal("tmpfs", TypeAt("/dev/shm"));
        Assert.Contains("ptmxmode=666", mounts.Single(m => m[4] == "/dev/pts").Last());
        Assert.Equal(["/dev/full", "/dev/null", "/dev/random", "/dev/tty", "/dev/urandom", "/dev/zero"], mounts.Select(m => m[4]).Where(p => p.StartsWith("/dev/", StringComparison.Ordinal) && !p.StartsWith("/dev/pts", StringComparison.Ordinal) && p != "/dev/shm").Order().ToArray());
    }

    [Fact]
    public void Mounts_WithoutNewRoot_StayInPid1sNamespace()
    {
        using var dir = new SandboxRootfs();
        RunResult r = Pid1Binary.RunCommand(
            Pid1Binary.Path,
            ["--tmpfs", dir.PathOf("etc") + ":size=1m", "/bin/sh", "-c", $"pwd; grep -c ' {dir.PathOf("etc")} ' /proc/self/mountinfo"],
            TimeSpan.FromSeconds(30),
            null,
            info => info.WorkingDirectory = "/usr");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/usr\n1\n", r.Stdout);
        Assert.Empty(HostState.MountsMentioning(dir.Dir));
        Assert.True(File.Exists(dir.PathOf("etc/passwd")));
    }
}
