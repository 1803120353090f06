using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace Pid1.IntegrationTests.Sandbox;

/// <summary>Namespaces as a user sees them: a different inode under /proc/self/ns, names, lo, --kill-child.</summary>
public class SandboxNamespaceTests
{
    [Theory]
    [InlineData("-m", "mnt")]
    [InlineData("-u", "uts")]
    [InlineData("-i", "ipc")]
    [InlineData("-n", "net")]
    [InlineData("-p", "pid")]
    [InlineData("-U", "user")]
    [InlineData("-C", "cgroup")]
    [InlineData("-T", "time")]
    [InlineData("--mount", "mnt")]
    [InlineData("--uts", "uts")]
    [InlineData("--ipc", "ipc")]
    [InlineData("--net", "net")]
    [InlineData("--pid", "pid")]
    [InlineData("--userns", "user")]
    [InlineData("--cgroupns", "cgroup")]
    [InlineData("--time", "time")]
    public void Flag_CreatesThatNamespace(string flag, string ns)
    {
        RunResult r = SandboxTools.Run(flag, "-f", "readlink", $"/proc/self/ns/{ns}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith($"{ns}:[", r.Stdout);
        Assert.NotEqual(SandboxTools.HostNamespace(ns), r.Stdout.Trim());
    }

    [Fact]
    public void Flag_LeavesOtherNamespacesShared()
    {
        RunResult r = SandboxTools.Run("-u", "readlink", "/proc/self/ns/net", "/proc/self/ns/mnt");
        Assert.Equal($"{SandboxTools.HostNamespace("net")}\n{SandboxTools.HostNamespace("mnt")}\n", r.Stdout);
    }

    [Fact]
    public void UnshareAll_AsRoot_NewMountUtsIpcNetPidCgroup_SameUser()
    {
        string[] names = ["mnt", "uts", "ipc", "net", "pid", "cgroup", "user"];
        RunResult r = SandboxTools.Run(["--unshare-all", "readlink", .. Array.ConvertAll(names, n => $"/proc/self/ns/{n}")]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = r.Stdout.Trim().Split('\n');
        for (int i = 0; i < names.Length - 1; i++)
        {
            Assert.NotEqual(SandboxTools.HostNamespace(names[i]), lines[i]);
        }

        Assert.Equal(SandboxTools.HostNamespace("user"), lines[^1]);
    }

    [Fact]
    public void Hostname_AndDomainname_SetInsideOnly()
    {
        string host = File.ReadAllText("/proc/sys/kernel/hostname");
        RunResult r = SandboxTools.Run("-u", "--hostname", "ids-box", "--domainname", "ids.example", "sh", "-c", "hostname; cat /proc/sys/kernel/domainname");
        Assert.Equal("ids-box\nids.example\n", r.Stdout);
        Assert.Equal(host, File.ReadAllText("/proc/sys/kernel/hostname"));
    }

    [Fact]
    public void Hostname_WithoutUts_Is125()
    {
        RunResult r = SandboxTools.Run("--hostname", "x", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("-u", r.Stderr);
    }

    [Fact]
    public void NewNetwork_LoopbackIsUp_AndTcpToLocalhostWorks()
    {
        RunResult link = SandboxTools.Run("-n", "ip", "link", "show", "lo");
        Assert.Matches("<LOOPBACK,UP,LOWER_UP>", link.Stdout);
        RunResult connect = SandboxTools.Run("-n", SandboxTools.Probe, "selfconnect");
        Assert.Equal("connected\n", connect.Stdout);
    }

    [Fact]
    public void NewNetwork_HasOnlyLoopback()
    {
        RunResult r = SandboxTools.Run("-n", "ip", "-o", "link", "show");
        Assert.StartsWith("1: lo: ", r.Stdout);
        Assert.Single(r.Stdout.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("-p")]
    public void KillChild_Term_ReachesTheProgram_WhenPid1IsKilled(string extra)
    {
        Assert.Equal("ready\ngot TERM\n", KillPid1AndRead([extra, "--kill-child=TERM"]));
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("-p")]
    public void KillChild_Default_KillsTheProgram_WhenPid1IsKilled(string extra)
    {
        // EOF on stdout proves the program is gone: nothing else holds the pipe once pid1 is dead.
        Assert.Equal("ready\n", KillPid1AndRead([extra, "--kill-child"]));
    }

    /// <summary>Starts pid1 with a shell that reports TERM, SIGKILLs pid1 once the shell runs, reads to EOF.</summary>
    private static string KillPid1AndRead(string[] options)
    {
        using Process pid1 = SandboxTools.Start([.. options, "sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo ready; read line"]);
        Assert.Equal("ready", pid1.StandardOutput.ReadLine());
        pid1.Kill();
        var rest = pid1.StandardOutput.ReadToEndAsync();
        Assert.True(rest.Wait(TimeSpan.FromSeconds(20)), "the program outlived pid1");
        return "ready\n" + rest.Result;
    }
}
