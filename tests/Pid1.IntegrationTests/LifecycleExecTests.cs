using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>`pid1 exec NAME -- CMD`: CMD runs inside the sandbox's namespaces, root, cwd, cgroup and user.</summary>
public sealed class LifecycleExecTests : IDisposable
{
    private readonly LifecycleSandboxes sandboxes = new();

    public void Dispose() => sandboxes.Dispose();

    [Fact]
    public void Exec_JoinsEveryNamespaceOfTheSandbox()
    {
        string name = sandboxes.NewName("ns");
        sandboxes.Detach(name, "-fp", "--mount-proc", "-u", "-i", "-n", "sleep", "2601");
        int child = LifecycleSandboxes.Entry(name)!.Value.GetProperty("child").GetInt32();
        Assert.Equal(0, Pid1Binary.Run("exec", name, "--", "hostname", "life-exec-uts").ExitCode);

        RunResult r = Pid1Binary.Run("exec", name, "--", "/bin/sh", "-c",
            "hostname; readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/ipc; echo $$; ls /proc | grep -c '^[0-9]'");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("life-exec-uts", lines[0]);
        string[] kinds = ["pid", "mnt", "net", "uts", "ipc"];
        for (int i = 0; i < kinds.Length; i++)
        {
            Assert.Equal(new FileInfo($"/proc/{child}/ns/{kinds[i]}").LinkTarget, lines[1 + i]);
        }

        Assert.True(int.Parse(lines[6]) < 10, "the command's pid is small: it lives in the sandbox's pid namespace");
        Assert.True(int.Parse(lines[7]) < 10, "the sandbox's /proc shows only its own few processes");
        Assert.NotEqual("life-exec-uts", Pid1Binary.RunCommand("hostname").Stdout.Trim());
    }

    [Fact]
    public void Exec_SandboxWithUserNamespace_JoinsItFirst_AndKeepsItsMappedRoot()
    {
        string name = sandboxes.NewName("userns");
        sandboxes.Detach(name, "-r", "-p", "-u", "--hostname", "life-exec-userns", "sleep", "2606");
        int child = LifecycleSandboxes.Entry(name)!.Value.GetProperty("child").GetInt32();

        RunResult r = Pid1Binary.Run("exec", name, "--", "/bin/sh", "-c", "id -u; hostname; readlink /proc/self/ns/user; cat /proc/self/uid_map");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0]);
        Assert.Equal("life-exec-userns", lines[1]);
        Assert.Equal(new FileInfo($"/proc/{child}/ns/user").LinkTarget, lines[2]);
        Assert.NotEqual(new FileInfo("/proc/self/ns/user").LinkTarget, lines[2]);
        Assert.Equal(new[] { "0", "0", "1" }, lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Exec_ExitCodeIsTheCommands_NotFoundIs127()
    {
        string name = sandboxes.NewName("code");
        sandboxes.Detach(name, "-fp", "sleep", "2602");
        Assert.Equal(5, Pid1Binary.Run("exec", name, "--", "/bin/sh", "-c", "exit 5").ExitCode);
        RunResult missing = Pid1Binary.Run("exec", name, "--", "no-such-command-2602");
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("exec no-such-command-2602: ENOENT", missing.Stderr);
    }

    [Fact]
    public void Exec_WorkingDirectoryAndUser_AreTheSandboxsOrAsked()
    {
        string name = sandboxes.NewName("who");
        string dir = Directory.CreateTempSubdirectory("life-exec-cwd-").FullName;
        try
        {
            RunResult start = Pid1Binary.RunCommand(Pid1Binary.Path, ["--detach", "--name", name, "sleep", "2603"], TimeSpan.FromSeconds(30), null, i => i.WorkingDirectory = dir);
            Assert.True(start.ExitCode == 0, start.ToString());
            Assert.Equal(dir + "\n", Pid1Binary.Run("exec", name, "--", "pwd").Stdout);
            Assert.Equal("0\n", Pid1Binary.Run("exec", name, "--", "id", "-u").Stdout);
            Assert.Equal("65534\n", Pid1Binary.Run("exec", name, "--user", "nobody", "--", "id", "-u").Stdout);
            Assert.Equal("1234:5678\n", Pid1Binary.Run("exec", name, "--user", "1234:5678", "--", "/bin/sh", "-c", "echo $(id -u):$(id -g)").Stdout);
            RunResult unknown = Pid1Binary.Run("exec", name, "--user", "no-such-user-2603", "--", "true");
            Assert.Equal(125, unknown.ExitCode);
            Assert.Contains("no user 'no-such-user-2603'", unknown.Stderr);
        }
        finally
        {
            Pid1Binary.Run("stop", name);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Exec_UserTheSandboxCannotMap_FailsNamingTheCallAndErrno()
    {
        // Only root is mapped in the sandbox's user namespace (-r): setresgid to 1234 fails in there, and the
        // message names that call, the user and errno, as pid1's own setup errors do.
        string name = sandboxes.NewName("unmapped");
        sandboxes.Detach(name, "-r", "-p", "sleep", "2608");
        RunResult r = Pid1Binary.Run("exec", name, "--user", "1234:1234", "--", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal("pid1: setresgid 1234 for user 1234:1234: EINVAL (Invalid argument)\n", r.Stderr);
    }

    [Fact]
    public void Exec_ChrootedSandbox_CommandSeesTheSandboxsRoot()
    {
        string name = sandboxes.NewName("root");
        string root = Directory.CreateTempSubdirectory("life-exec-root-").FullName;
        try
        {
            File.Copy("/bin/busybox", Path.Combine(root, "busybox"));
            File.WriteAllText(Path.Combine(root, "marker-2604"), "inside\n");
            Assert.Equal(0, Pid1Binary.RunCommand("mkfifo", Path.Combine(root, "ready")).ExitCode);
            sandboxes.Detach(name, "-m", "/usr/sbin/chroot", root, "/busybox", "sh", "-c", "echo ready > /ready; exec /busybox sleep 2604");
            LifecycleSandboxes.WaitReady(Path.Combine(root, "ready"));
            RunResult r = Pid1Binary.Run("exec", name, "--", "/busybox", "cat", "/marker-2604");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("inside\n", r.Stdout);
        }
        finally
        {
            Pid1Binary.Run("stop", name);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Exec_UserNamedInASymlinkedPasswd_IsLookedUpInsideTheSandboxsRoot()
    {
        // etc/passwd is an absolute symlink, as images often have: read through /proc/PID/root it would resolve
        // on the host (where /inner-2607/passwd does not exist); pid1 must resolve it inside the sandbox's root.
        string name = sandboxes.NewName("pwlink");
        string root = Directory.CreateTempSubdirectory("life-exec-pwlink-").FullName;
        try
        {
            File.SetUnixFileMode(root, (UnixFileMode)0x1ED); // 0755: the user looked up must reach /busybox
            File.Copy(SandboxRootfs.Busybox, Path.Combine(root, "busybox"));
            Directory.CreateDirectory(Path.Combine(root, "inner-2607"));
            Directory.CreateDirectory(Path.Combine(root, "etc"));
            File.WriteAllText(Path.Combine(root, "inner-2607/passwd"), "inner2607:x:4321:4322::/:/busybox\n");
            File.CreateSymbolicLink(Path.Combine(root, "etc/passwd"), "/inner-2607/passwd");
            Assert.Equal(0, Pid1Binary.RunCommand("mkfifo", Path.Combine(root, "ready")).ExitCode);
            sandboxes.Detach(name, "-m", "/usr/sbin/chroot", root, "/busybox", "sh", "-c", "echo ready > /ready; exec /busybox sleep 2607");
            LifecycleSandboxes.WaitReady(Path.Combine(root, "ready"));
            RunResult r = Pid1Binary.Run("exec", name, "--user", "inner2607", "--", "/busybox", "sh", "-c", "echo $(/busybox id -u):$(/busybox id -g)");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("4321:4322\n", r.Stdout);
        }
        finally
        {
            Pid1Binary.Run("stop", name);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Exec_HostFdsDoNotReachTheCommand()
    {
        string name = sandboxes.NewName("fds");
        sandboxes.Detach(name, "-fp", "sleep", "2605");
        RunResult r = Pid1Binary.RunCommand("/bin/sh", "-c", "exec 7</etc/hostname 8>/dev/null; exec \"$0\" exec \"$1\" -- ls /proc/self/fd", Pid1Binary.Path, name);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["0", "1", "2", "3"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // 3: ls's own directory
    }

    [Fact]
    public void Exec_CommandJoinsTheSandboxsCgroup()
    {
        string name = sandboxes.NewName("cg");
        using var cgroup = new LifecycleCgroup(name);
        RunResult start = cgroup.RunPid1Inside("--detach", "--name", name, "sleep", "2606");
        Assert.True(start.ExitCode == 0, start.ToString());
        RunResult r = Pid1Binary.Run("exec", name, "--", "cat", "/proc/self/cgroup");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains(r.Stdout.Split('\n'), line => line.EndsWith(":" + cgroup.Relative, StringComparison.Ordinal));
        Assert.DoesNotContain(cgroup.Relative, File.ReadAllText("/proc/self/cgroup"));
        Pid1Binary.Run("stop", name);
    }

    [Fact]
    public void Exec_Cgroup2MountedElsewhere_CommandStillJoinsTheSandboxsCgroup()
    {
        // In a private mount namespace cgroup2 is moved away from /sys/fs/cgroup (or .../unified on a hybrid
        // host), as in a container that mounts it elsewhere: exec must find the sandbox's cgroup through the mounts.
        string name = sandboxes.NewName("cg2moved");
        string mountPoint = Directory.CreateTempSubdirectory("life-exec-cg2-").FullName;
        const string Script = """
            set -e
            mount --move "$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)" "$1"
            "$2" --detach --name "$3" --cgroup "$3" sleep 2608 >/dev/null
            "$2" exec "$3" -- cat /proc/self/cgroup
            """;
        try
        {
            RunResult r = Pid1Binary.RunCommand("unshare", "-m", "--propagation", "private", "/bin/sh", "-c", Script, "sh", mountPoint, Pid1Binary.Path, name);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains(r.Stdout.Split('\n'), line => line.StartsWith("0::/", StringComparison.Ordinal) && line.EndsWith("/" + name, StringComparison.Ordinal));
        }
        finally
        {
            Pid1Binary.Run("stop", name);
            Directory.Delete(mountPoint);
        }
    }

    [Fact]
    public void Exec_UnknownSandbox_Gives1()
    {
        RunResult r = Pid1Binary.Run("exec", "life-no-such-sandbox", "--", "true");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("life-no-such-sandbox is not running", r.Stderr);
    }
}
