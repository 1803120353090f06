using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace EchoServer;

/// <summary>RFC 862 echo: every byte a client sends comes back to it, over TCP or UDP.</summary>
internal static class Echo
{
    private const int BufferSize = 16 * 1024;

    /// <summary>Runs until <paramref name="stop"/> (completes) or until the socket fails (faults).</summary>
    public static Task Serve(Socket listener, CancellationToken stop) =>
        listener.SocketType == SocketType.Dgram ? EchoDatagrams(listener, stop) : AcceptClients(listener, stop);

    private static async Task AcceptClients(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up between the handshake and accept(2): its loss, not the listener's.
                continue;
            }

            // One task per client: a slow or silent client never holds up the others or the accept loop.
            _ = EchoStream(client, stop);
        }
    }

    private static async Task EchoStream(Socket client, CancellationToken stop)
    {
        using (client)
        {
            var buffer = new byte[BufferSize];
            try
            {
                int received;
                while ((received = await client.ReceiveAsync(buffer, SocketFlags.None, stop)) > 0)
                {
                    await SendAll(client, buffer.AsMemory(0, received), stop);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // A client that resets or a server that stops ends only this conversation.
            }
        }
    }

    private static async Task SendAll(Socket client, ReadOnlyMemory<byte> data, CancellationToken stop)
    {
        while (!data.IsEmpty)
        {
            data = data[await client.SendAsync(data, SocketFlags.None, stop)..];
        }
    }

    private static async Task EchoDatagrams(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[ushort.MaxValue];
        EndPoint anyone = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var datagram = await socket.ReceiveFromAsync(buffer, SocketFlags.None, anyone, stop);
                await socket.SendToAsync(buffer.AsMemory(0, datagram.ReceivedBytes), SocketFlags.None, datagram.RemoteEndPoint, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // An earlier reply hit a closed port (ICMP unreachable): that peer is gone, the others are not.
            }
        }
    }
}
