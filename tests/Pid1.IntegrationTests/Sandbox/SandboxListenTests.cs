using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Pid1.IntegrationTests.Sandbox;

/// <summary>--listen: pid1 binds on the host, the program (own network namespace, nobody) serves on fd 3.</summary>
public class SandboxListenTests
{
    [Fact]
    public void Listen_Tcp_HostReachesNobodyInItsOwnNetworkNamespace()
    {
        int port = SandboxTools.FreePort();
        using Process pid1 = SandboxTools.Start("-n", "--listen", $"127.0.0.1:{port}", "--user", "nobody", "--", SandboxTools.Probe, "serve");
        string? ready = pid1.StandardOutput.ReadLine();
        Assert.Equal($"ready fds=1 names=tcp-{port} uid=65534 cloexec=0 fd4-open=0 type=tcp-listening", ready);

        Assert.Equal("hello from the host\n", Exchange(port, "hello from the host\n"));
        Assert.True(pid1.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, pid1.ExitCode);
    }

    [Fact]
    public void Listen_Unprivileged_InItsOwnUserAndNetworkNamespace()
    {
        int port = SandboxTools.FreePort();
        using Process pid1 = Pid1Binary.Start("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", SandboxTools.Pid1, "-r", "-n", "--listen", $"127.0.0.1:{port}", SandboxTools.Probe, "serve"]);
        Assert.Equal($"ready fds=1 names=tcp-{port} uid=0 cloexec=0 fd4-open=0 type=tcp-listening", pid1.StandardOutput.ReadLine());
        Assert.Equal("echo\n", Exchange(port, "echo\n"));
        Assert.True(pid1.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, pid1.ExitCode);
    }

    [Fact]
    public void Listen_Udp_IsPassedUnconnected()
    {
        int port = SandboxTools.FreePort();
        using Process pid1 = SandboxTools.Start("-n", "--listen", $"127.0.0.1:{port}/udp", "--user", "nobody", SandboxTools.Probe, "serve");
        Assert.Equal($"ready fds=1 names=udp-{port} uid=65534 cloexec=0 fd4-open=0 type=udp", pid1.StandardOutput.ReadLine());
        using var client = new UdpClient();
        client.Connect(IPAddress.Loopback, port);
        client.Send(Encoding.ASCII.GetBytes("ping"));
        IPEndPoint? from = null;
        Assert.Equal("ping", Encoding.ASCII.GetString(client.Receive(ref from)));
        Assert.True(pid1.WaitForExit(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void Listen_Two_AreFds3And4_WithPidInItsPidNamespace()
    {
        int first = SandboxTools.FreePort();
        int second = SandboxTools.FreePort();
        using Process pid1 = SandboxTools.Start("-p", "--listen", $"127.0.0.1:{first}", "--listen", $"127.0.0.1:{second}/udp", "sh", "-c", "echo $LISTEN_FDS $LISTEN_FDNAMES $LISTEN_PID; ls /proc/self/fd/3 /proc/self/fd/4 >/dev/null && echo both");
        Assert.Equal($"2 tcp-{first}:udp-{second} 2", pid1.StandardOutput.ReadLine());
        Assert.Equal("both", pid1.StandardOutput.ReadLine());
        Assert.True(pid1.WaitForExit(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// The seed's echo server: port 7 (privileged) bound by pid1 as root, served by nobody in its own network
    /// namespace. Run inside a private network namespace of the test, so port 7 never clashes with the host.
    /// </summary>
    [Fact]
    public void Listen_Port7_BoundAsRoot_ServedByNobody()
    {
        string script = """
            ip link set lo up
            "$1" -n --listen 127.0.0.1:7 --user nobody -- "$2" serve | { read -r ready; echo "$ready"; "$2" client 7 seed-line; cat; }
            """;
        RunResult r = Pid1Binary.RunCommand("unshare", ["-n", "bash", "-c", script, "sh", SandboxTools.Pid1, SandboxTools.Probe], TimeSpan.FromSeconds(30), stdin: null);
        Assert.Equal("ready fds=1 names=tcp-7 uid=65534 cloexec=0 fd4-open=0 type=tcp-listening\nreply seed-line\n", r.Stdout);
    }

    [Fact]
    public void Listen_PortInUse_Is125NamingBindAndErrno()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        RunResult r = SandboxTools.Run("--listen", $"127.0.0.1:{port}", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Equal($"pid1: --listen 127.0.0.1:{port}: bind: EADDRINUSE (Address already in use)\n", r.Stderr);
    }

    [Fact]
    public void Listen_Ipv6Any_IsV6Only_SoIpv4StaysFree()
    {
        int port = SandboxTools.FreePort();
        using Process pid1 = SandboxTools.Start("--listen", $"[::]:{port}", "sh", "-c", "echo $LISTEN_FDNAMES; read line");
        Assert.Equal($"tcp-{port}", pid1.StandardOutput.ReadLine());
        using var v4 = new TcpListener(IPAddress.Any, port);
        v4.Start();
        Assert.Throws<SocketException>(() => new TcpListener(IPAddress.IPv6Any, port).Start());
        pid1.StandardInput.Close();
        Assert.True(pid1.WaitForExit(TimeSpan.FromSeconds(20)));
    }

    /// <summary>Sends <paramref name="text"/> to 127.0.0.1:<paramref name="port"/> and returns the reply.</summary>
    private static string Exchange(int port, string text)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        NetworkStream stream = client.GetStream();
        stream.Write(Encoding.ASCII.GetBytes(text));
        var reply = new byte[256];
        int n = stream.Read(reply);
        return Encoding.ASCII.GetString(reply, 0, n);
    }
}
