using System.Net;
using System.Net.Sockets;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>Free loopback ports for servers and ZeroMQ sockets under test.</summary>
internal static class Loopback
{
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static string FreeTcpEndpoint() => $"tcp://127.0.0.1:{FreePort()}";
}
