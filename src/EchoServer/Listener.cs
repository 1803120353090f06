using System.Net;
using System.Net.Sockets;

namespace EchoServer;

/// <summary>A socket to serve on and how it was obtained, for the start-up line.</summary>
internal sealed record Listener(Socket Socket, string Origin)
{
    public static Listener Bind(IPAddress address, int port)
    {
        var endPoint = new IPEndPoint(address, port);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted server must not wait out TIME_WAIT of its previous connections.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen();
            return new Listener(socket, "bound itself");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new StartupException($"listen on {endPoint}: {e.Message}", e);
        }
    }

    public override string ToString() => $"{Socket.LocalEndPoint} ({Origin})";
}
