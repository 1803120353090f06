using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>--rootfs (pivot_root), -R (chroot), -w and --read-only, as the program inside sees them.</summary>
public class SandboxRootTests
{
    [Fact]
    public void Rootfs_Inside_OnlyTheNewRootIsMountedAndHostFilesAreGone()
    {
        using var root = new SandboxRootfs();
        string marker = Path.Combine(Path.GetTempPath(), "pid1-fs-marker-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(marker, "host");
        try
        {
            RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--proc", "/proc", "/bin/sh", "-c", $"cat /proc/self/mountinfo; echo ---; ls /; test -e {marker} && echo host-visible; pwd");
            Assert.True(r.ExitCode == 0, r.ToString());
            string[] parts = r.Stdout.Split("---\n");
            string[][] mounts = parts[0].Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToArray();

            // Exactly the new root (a bind of the rootfs directory) and its /proc: the old root is detached.
            Assert.Equal(["/", "/proc"], mounts.Select(m => m[4]).Order().ToArray());
            Assert.Equal(root.Dir, mounts.Single(m => m[4] == "/")[3]);
            Assert.Equal(["bin", "etc", "proc"], parts[1].Split('\n', StringSplitOptions.RemoveEmptyEntries).SkipLast(1).ToArray());
            Assert.DoesNotContain("host-visible", r.Stdout);
            Assert.EndsWith("\n/\n", r.Stdout);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public void Rootfs_ProgramOnlyInsideTheRoot_IsFoundOnPath()
    {
        using var root = new SandboxRootfs().WithFile("usr/bin/only-inside", "#!/bin/sh\necho inside $0\n", executable: true);
        RunResult r = Pid1Binary.RunCommand(Pid1Binary.Path, ["--rootfs", root.Dir, "only-inside"], TimeSpan.FromSeconds(30), null, info => info.Environment["PATH"] = "/usr/bin:/bin");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("inside /usr/bin/only-inside\n", r.Stdout);
    }

    [Fact]
    public void Rootfs_WithWd_StartsThere()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "-w", "/etc", "/bin/sh", "-c", "pwd; ls");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/etc\npasswd\n", r.Stdout);
    }

    [Fact]
    public void Wd_WithoutNewRoot_IsAHostDirectory()
    {
        RunResult r = Pid1Binary.Run("-w", "/usr", "/bin/pwd");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/usr\n", r.Stdout);
    }

    [Fact]
    public void Root_Chroot_DotDotStaysInside()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("-R", root.Dir, "/bin/sh", "-c", "pwd; cd ../../..; pwd; ls");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/\n/\nbin\netc\n", r.Stdout);
    }

    [Fact]
    public void ReadOnly_RootIsReadOnly_TmpfsUnderItIsNot()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--tmpfs", "/tmp", "--read-only", "/bin/sh", "-c", "touch /x; touch /tmp/y && echo tmp-writable");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("touch: /x: Read-only file system", r.Stderr);
        Assert.Equal("tmp-writable\n", r.Stdout);
        Assert.False(File.Exists(root.PathOf("x")));
    }

    [Fact]
    public void ReadOnly_WithChroot_RootIsReadOnly()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("-R", root.Dir, "--read-only", "/bin/sh", "-c", "touch /x");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Read-only file system", r.Stderr);
    }

    [Fact]
    public void MountProc_WithRootfsAndPidNamespace_ShowsTheSandboxsProcessesInsideTheNewRoot()
    {
        using var root = new SandboxRootfs().WithDirectory("proc");
        RunResult r = Pid1Binary.Run("-p", "--rootfs", root.Dir, "--mount-proc", "/bin/sh", "-c", "echo $$; ls /proc | grep '^[0-9]' | sort; grep ' /proc ' /proc/self/mountinfo | wc -l");
        Assert.True(r.ExitCode == 0, r.ToString());

        // pid1 is PID 1 of the namespace, the shell PID 2, ls and grep ... its children: nothing of the host.
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("2", lines[0]);
        Assert.Equal(["1", "2"], lines[1..^1].Take(2).ToArray());
        Assert.All(lines[1..^1], pid => Assert.True(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture) < 10, r.Stdout));
        Assert.Equal("1", lines[^1]);
    }

    [Fact]
    public void Rootfs_Missing_Gives125NamingItAndENOENT()
    {
        string missing = "/tmp/pid1-fs-missing-" + Guid.NewGuid().ToString("N");
        RunResult r = Pid1Binary.Run("--rootfs", missing, "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal($"pid1: new root {missing} (--rootfs): ENOENT (No such file or directory)\n", r.Stderr);
        Assert.False(Directory.Exists(missing));
        Assert.Empty(HostState.MountsMentioning(missing));
    }

    [Fact]
    public void Rootfs_WithSharedPropagation_IsAUsageError()
    {
        using var root = new SandboxRootfs();
        RunResult r = Pid1Binary.Run("--rootfs", root.Dir, "--propagation", "shared", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("'--propagation': 'shared'", r.Stderr);
    }
}
