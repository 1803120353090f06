using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>
/// Cgroup limits as a user sees them, on this host's layout (v1, v2 or hybrid): an OOM-killed hog, a
/// throttled loop, a pinned CPU, a failing fork, a denied device, a slowed disk — and no cgroup left behind.
/// </summary>
public class CgroupLimitTests
{
    private static string UniqueName(string test) => $"pid1-cgtest-{test}-{Guid.NewGuid():N}"[..40];

    private static RunResult RunInCgroup(string name, params string[] args) => Pid1Binary.Run(["--cgroup", name, .. args]);

    [Fact]
    public void Memory_HogIsOomKilled_Pid1Reports137()
    {
        string name = UniqueName("mem");

        // The shell itself holds the growing string, so the OOM killer picks the main child.
        RunResult r = RunInCgroup(name, "--memory", "16m", "--", "/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived");
        Assert.True(r.ExitCode == 137, r.ToString());
        Assert.DoesNotContain("survived", r.Stdout);
        AssertRemoved(name);
    }

    [Fact]
    public void Cpus_BusyLoopStaysNear20Percent()
    {
        string name = UniqueName("cpu");

        // utime+stime of a busy loop after two seconds, in clock ticks (100 a second).
        RunResult r = RunInCgroup(name, "--cpus", "0.2", "--", "/bin/sh", "-c", "sh -c 'while :; do :; done' & p=$!; sleep 2; cat /proc/$p/stat; kill $p");
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] fields = r.Stdout.Substring(r.Stdout.LastIndexOf(')') + 2).Split(' ');
        double ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        double share = ticks / 200.0;
        Assert.True(share is >= 0.10 and <= 0.35, $"busy loop used {share:P0} of a CPU under --cpus 0.2\n{r}");
        AssertRemoved(name);
    }

    [Fact]
    public void CpusetCpus_PinsToCpu0()
    {
        string name = UniqueName("cpuset");
        RunResult r = RunInCgroup(name, "--cpuset-cpus", "0", "--", "/bin/grep", "Cpus_allowed_list", "/proc/self/status");
        Assert.Equal("Cpus_allowed_list:\t0\n", r.Stdout);
        AssertRemoved(name);
    }

    [Fact]
    public void PidsLimit_MakesForkFail()
    {
        string name = UniqueName("pids");
        RunResult r = RunInCgroup(name, "--pids-limit", "3", "--grace", "1", "--", "/bin/sh", "-c", "for i in 1 2 3 4 5 6; do sleep 30 & done; echo all-forked");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("fork", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("all-forked", r.Stdout);
        AssertRemoved(name);
    }

    [Fact]
    public void DeviceDeny_DevNull_OpenFailsWithEperm_OtherDevicesWork()
    {
        string name = UniqueName("dev");
        RunResult r = RunInCgroup(name, "--device-deny", "/dev/null", "--", "/bin/sh", "-c", "head -c 3 /dev/zero | wc -c; echo x > /dev/null");
        Assert.Equal("3\n", r.Stdout);
        Assert.Contains("/dev/null: Operation not permitted", r.Stderr);
        Assert.NotEqual(0, r.ExitCode);
        AssertRemoved(name);
    }

    [Fact]
    public void DeviceReadBps_SlowsDirectReadsFromALoopDevice()
    {
        string image = Path.Combine(Path.GetTempPath(), UniqueName("blkio") + ".img");
        File.WriteAllBytes(image, new byte[4 << 20]);
        string loop = Sh($"losetup -f --show {image}").Trim();
        try
        {
            // dd reports how long the copy itself took: process start-up, which swells on a loaded machine,
            // is not in it, and the throttle acts only on the copy.
            string[] dd = ["--", "/bin/dd", $"if={loop}", "of=/dev/null", "bs=64k", "count=16", "iflag=direct"];
            double free = DdSeconds(Pid1Binary.Run(dd));
            string name = UniqueName("blkio");
            double throttled = DdSeconds(RunInCgroup(name, ["--device-read-bps", $"{loop}:1mb", .. dd]));
            Assert.True(throttled > 0.7 && throttled > free * 3, $"1 MiB at 1 MiB/s took {throttled} s, unthrottled {free} s");
            AssertRemoved(name);
        }
        finally
        {
            Sh($"losetup -d {loop}");
            File.Delete(image);
        }
    }

    [Fact]
    public void CgroupNamespace_ProgramSeesItsCgroupAsRoot()
    {
        string name = UniqueName("ns");
        RunResult r = RunInCgroup(name, "-C", "--memory", "64m", "--", "/bin/cat", "/proc/self/cgroup");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.All(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.EndsWith(":/", line));
        AssertRemoved(name);
    }

    [Fact]
    public void Cgroup_Alone_GroupsTheTreeUnderThatName()
    {
        string name = UniqueName("group");
        RunResult r = RunInCgroup(name, "--", "/bin/sh", "-c", "sh -c 'cat /proc/self/cgroup'");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("/" + name + "\n", r.Stdout, StringComparison.Ordinal);
        AssertRemoved(name);
    }

    [Theory]
    [InlineData("--memory", "10q", "'--memory': '10q'")]
    [InlineData("--cpuset-cpus", "99", "'--cpuset-cpus': '99'")]
    [InlineData("--device-deny", "/dev/no-such-device", "'--device-deny': '/dev/no-such-device'")]
    [InlineData("--cpu-quota", "5", "'--cpu-quota': '5'")]
    public void BadValue_Exit125NamingIt_NothingCreated(string option, string value, string message)
    {
        string name = UniqueName("bad");
        RunResult r = RunInCgroup(name, option, value, "--", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        AssertRemoved(name);
    }

    [Fact]
    public void NestedName_CreatesBothLevels_RemovesBoth()
    {
        string outer = UniqueName("outer");
        RunResult r = RunInCgroup(outer + "/inner", "--pids-limit", "50", "--", "/bin/cat", "/proc/self/cgroup");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"/{outer}/inner\n", r.Stdout, StringComparison.Ordinal);
        AssertRemoved(outer);
    }

    [Fact]
    public void ProgramNotFound_Exit127_CgroupRemoved()
    {
        string name = UniqueName("noexec");
        RunResult r = RunInCgroup(name, "--memory", "64m", "--", "/no/such/program");
        Assert.Equal(127, r.ExitCode);
        AssertRemoved(name);
    }

    [Fact]
    public void MountFailsWhilePid1JoinsTheCgroup_Exit125NamingTheMount_CgroupRemoved()
    {
        // The child sets up its namespaces while pid1 writes it into the cgroup: its own failure is what the user reads.
        string name = UniqueName("mountfail");
        RunResult r = RunInCgroup(name, "--memory", "64m", "-m", "--tmpfs", "/etc/passwd/sub", "--", "/bin/true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("mount tmpfs on /etc/passwd/sub: ENOTDIR", r.Stderr);
        AssertRemoved(name);
    }

    [Fact]
    public void NameInUse_Exit125_TheRunningOneKeepsIt()
    {
        string name = UniqueName("inuse");
        using Process first = Pid1Binary.Start(Pid1Binary.Path, ["--cgroup", name, "--", "/bin/sh", "-c", "echo ready; exec sleep 30"]);
        try
        {
            Assert.Equal("ready", first.StandardOutput.ReadLine());
            RunResult second = RunInCgroup(name, "--", "/bin/true");
            Assert.Equal(125, second.ExitCode);
            Assert.Contains("already exists", second.Stderr);
            Assert.False(first.HasExited);
        }
        finally
        {
            // SIGTERM, not Process.Kill: pid1 forwards it, then removes its cgroup.
            Sh($"kill -TERM {first.Id}");
            first.WaitForExit();
        }

        AssertRemoved(name);
    }

    [Theory]
    [InlineData("--mount-proc")]
    [InlineData("--mount")]
    public void PidNamespaceInit_IsNotTheKernelsInit(string procOption)
    {
        // pid1 as PID 1 of a pid namespace (ppid 0, like the kernel's init) must behave as a plain init:
        // no API mounts, no power-off; it just runs the program.
        RunResult r = Pid1Binary.RunCommand("unshare", ["-fp", procOption, Pid1Binary.Path, "--", "/bin/sh", "-c", "echo pid $$"], TimeSpan.FromSeconds(30), stdin: null);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        Assert.Matches("^pid ([2-9]|[1-9][0-9]+)\n$", r.Stdout);
    }

    /// <summary>No directory of that name under any cgroup mount (depth-limited walk: the name is unique).</summary>
    private static void AssertRemoved(string name)
    {
        foreach (string mount in CgroupMounts())
        {
            Assert.Empty(Find(mount, name, 4));
        }
    }

    private static IEnumerable<string> CgroupMounts() =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' '))
            .Where(f => f.SkipWhile(x => x != "-").Skip(1).FirstOrDefault() is "cgroup" or "cgroup2")
            .Select(f => f[4])
            .OrderBy(m => m.EndsWith("unified", StringComparison.Ordinal) || !m.Contains("cgroup/", StringComparison.Ordinal) ? 0 : 1);

    private static IEnumerable<string> Find(string dir, string name, int depth)
    {
        string[] children;
        try
        {
            children = Directory.GetDirectories(dir);
        }
        catch (IOException)
        {
            yield break;
        }

        foreach (string child in children)
        {
            if (Path.GetFileName(child) == name)
            {
                yield return child;
            }
            else if (depth > 1)
            {
                foreach (string found in Find(child, name, depth - 1))
                {
                    yield return found;
                }
            }
        }
    }

    private static string Sh(string command)
    {
        RunResult r = Pid1Binary.RunCommand("/bin/sh", ["-c", command], TimeSpan.FromSeconds(30), stdin: null);
        return r.ExitCode == 0 ? r.Stdout : throw new InvalidOperationException($"{command}: {r}");
    }

    /// <summary>The seconds dd reports for its copy: "1048576 bytes (1.0 MB, 1.0 MiB) copied, 1.00123 s, 1.0 MB/s".</summary>
    private static double DdSeconds(RunResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"copied, ([0-9.e-]+) s");
        Assert.True(m.Success, r.ToString());
        return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
