using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace Pid1.IntegrationTests.Sandbox;

/// <summary>
/// What the sandbox tests share, made once per run: a world-readable copy of out/pid1 (so an unprivileged uid
/// can run it) and the static ids-probe program, in a 0755 temp dir removed when the run ends.
/// </summary>
public static class SandboxTools
{
    private static readonly Lazy<string> Dir = new(Create);

    public static string Pid1 => Path.Combine(Dir.Value, "pid1");

    public static string Probe => Path.Combine(Dir.Value, "ids-probe");

    /// <summary>Runs pid1 as root with <paramref name="args"/>.</summary>
    public static RunResult Run(params string[] args) => Pid1Binary.RunCommand(Pid1, args);

    /// <summary>Runs the copy of pid1 as uid/gid 65534 with no supplementary groups: an unprivileged caller.</summary>
    public static RunResult RunAsNobody(params string[] args) =>
        Pid1Binary.RunCommand("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Pid1, .. args], TimeSpan.FromSeconds(60), stdin: null, info => info.WorkingDirectory = Dir.Value);

    /// <summary>The namespace inode link of this (host) process, as readlink shows it: "net:[4026531840]".</summary>
    public static string HostNamespace(string name) => new FileInfo($"/proc/self/ns/{name}").LinkTarget!;

    /// <summary>A fresh 0755 directory under the shared temp dir, for a test's own files.</summary>
    public static string NewDir(string name)
    {
        string dir = Path.Combine(Dir.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return dir;
    }

    private static string Create()
    {
        string dir = Directory.CreateTempSubdirectory("pid1-ids-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        File.Copy(Pid1Binary.Path, Path.Combine(dir, "pid1"));
        File.SetUnixFileMode(Path.Combine(dir, "pid1"), (UnixFileMode)0x1ED);
        string source = Path.Combine(Pid1Binary.RepoRoot, "tests", "Pid1.IntegrationTests", "Sandbox", "ids-probe.c");
        RunResult gcc = Pid1Binary.RunCommand("gcc", "-static", "-O", "-o", Path.Combine(dir, "ids-probe"), source);
        if (gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc ids-probe.c failed: {gcc}");
        }

        File.SetUnixFileMode(Path.Combine(dir, "ids-probe"), (UnixFileMode)0x1ED);
        return dir;
    }

    /// <summary>Lines of a /proc/PID/status-like text, as key → value.</summary>
    public static string Field(string status, string key) =>
        status.Split('\n').Select(l => l.Split(':', 2)).First(p => p[0] == key)[1].Trim();

    /// <summary>A TCP port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static Process Start(params string[] args) => Pid1Binary.Start(Pid1, args);
}
