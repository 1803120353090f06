using System;
using System.IO;
using System.Linq;

namespace Pid1.IntegrationTests;

/// <summary>
/// A throw-away root for the sandbox tests: static busybox as bin/busybox with its applets as symlinks, an
/// etc/passwd, and whatever a test adds. Lives under /tmp/pid1-fs-*; deleted on dispose (every mount the
/// tests make is in pid1's own mount namespace, so nothing is mounted on it by then).
/// </summary>
public sealed class SandboxRootfs : IDisposable
{
    private static readonly string[] Applets =
    [
        "sh", "ls", "cat", "dd", "echo", "head", "wc", "readlink", "stat", "touch", "grep", "pwd", "mkdir", "test",
        "true", "mount", "sort", "tr", "cut",
    ];

    public SandboxRootfs()
    {
        Dir = Path.Combine(Path.GetTempPath(), "pid1-fs-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(Dir, "bin"));
        Directory.CreateDirectory(Path.Combine(Dir, "etc"));
        File.Copy(Busybox, Path.Combine(Dir, "bin", "busybox"));
        foreach (string applet in Applets)
        {
            File.CreateSymbolicLink(Path.Combine(Dir, "bin", applet), "busybox");
        }

        File.WriteAllText(Path.Combine(Dir, "etc", "passwd"), "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
    }

    /// <summary>busybox-static: a statically linked busybox, so the root needs no libraries.</summary>
    public static string Busybox { get; } = new[] { "/bin/busybox", "/usr/bin/busybox" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("busybox is missing: apt-get install busybox-static");

    public string Dir { get; }

    public string PathOf(string relative) => Path.Combine(Dir, relative.TrimStart('/'));

    public SandboxRootfs WithDirectory(string relative)
    {
        Directory.CreateDirectory(PathOf(relative));
        return this;
    }

    public SandboxRootfs WithFile(string relative, string text, bool executable = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf(relative))!);
        File.WriteAllText(PathOf(relative), text);
        if (executable)
        {
            File.SetUnixFileMode(PathOf(relative), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        return this;
    }

    public SandboxRootfs WithSymlink(string relative, string target)
    {
        File.CreateSymbolicLink(PathOf(relative), target);
        return this;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>What the caller's namespace looks like, to prove a run left nothing mounted or attached there.</summary>
public static class HostState
{
    /// <summary>The test process's mount table lines that mention <paramref name="token"/> (a temp dir, a path).</summary>
    public static string[] MountsMentioning(string token) =>
        File.ReadAllLines("/proc/self/mountinfo").Where(line => line.Contains(token, StringComparison.Ordinal)).ToArray();

    /// <summary>
    /// The test process's mount points under /tmp, /etc or on a loop device, sorted: what a pid1 run could
    /// leave behind (other tests' mounts elsewhere, such as cgroups, do not disturb the comparison).
    /// </summary>
    public static string[] MountPoints() =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Where(line => line.Contains(" /tmp", StringComparison.Ordinal) || line.Contains(" /etc", StringComparison.Ordinal) || line.Contains("/dev/loop", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[4])
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>An administration tool by absolute path: /sbin may be missing from a test runner's PATH.</summary>
    public static string Tool(string name) =>
        new[] { "/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/" }.Select(dir => dir + name).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is missing (util-linux, e2fsprogs)");

    /// <summary>`losetup -j IMG`: the loop devices backed by the image; empty when none is attached.</summary>
    public static string LoopDevicesOf(string image)
    {
        RunResult r = Pid1Binary.RunCommand(Tool("losetup"), "-j", image);
        return r.ExitCode == 0 ? r.Stdout : throw new InvalidOperationException($"losetup -j {image}: {r}");
    }
}
