using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Xunit;

namespace Pid1.IntegrationTests;

/// <summary>The demo target (out/echo-server) under pid1: socket activation, many clients, a clean SIGTERM.</summary>
public sealed class EchoServerTests
{
    private static string EchoServer => Path.Combine(Pid1Binary.OutDir, "echo-server");

    [Fact]
    public async Task EchoServer_ActivatedByPid1_EchoesManyClientsAtOnce_AndExits0OnSigterm()
    {
        int port = Sandbox.SandboxTools.FreePort();
        using var pid1 = Pid1Binary.Start(Pid1Binary.Path, ["-n", "--listen", $"127.0.0.1:{port}", "--user", "nobody", "--", EchoServer]);
        try
        {
            string banner = await pid1.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? string.Empty;
            Assert.Contains($"listening on 127.0.0.1:{port} (socket activation, fd 3", banner);

            // 50 clients connected at the same time, each talking on its own connection.
            string[] replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Echo(port, $"client {i}")));
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"client {i}"), replies);

            Assert.Equal(0, Pid1Binary.RunCommand("kill", "-TERM", pid1.Id.ToString()).ExitCode);
            Assert.True(pid1.WaitForExit(TimeSpan.FromSeconds(20)), "pid1 still running 20 s after SIGTERM");
            Assert.Equal(0, pid1.ExitCode);
        }
        finally
        {
            if (!pid1.HasExited)
            {
                pid1.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void EchoServer_Whoami_ShowsTheSandboxsUserAndHostname()
    {
        RunResult r = Pid1Binary.Run("-p", "-u", "--hostname", "echo-test", "--user", "nobody", "--", EchoServer, "--whoami");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("echo-server: pid 2 uid 65534 gid 65534 host echo-test\n", r.Stdout);
    }

    private static async Task<string> Echo(int port, string line)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(20));
        NetworkStream stream = client.GetStream();
        byte[] bytes = Encoding.ASCII.GetBytes(line + "\n");
        await stream.WriteAsync(bytes);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)) ?? string.Empty;
    }
}
