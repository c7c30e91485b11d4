using Grpc.Core;
using ImmisciblePolicy.Robots.Planning;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>
/// Which failures a robot retries. A server shutting down under a live HTTP/2 connection can end the call's stream
/// with an HTTP/2 error code that grpc-dotnet maps to INTERNAL rather than UNAVAILABLE; a CI run saw exactly that
/// from a health check right after the server stopped. Those are transport failures and are retried; an INTERNAL
/// the server itself sent is not.
/// </summary>
public sealed class PlanningConnectionRetryTests
{
    private static RpcException Made(StatusCode code, Exception? cause) => new(new Status(code, "from the client", cause));

    public static TheoryData<string, bool> Cases => new()
    {
        { "unavailable", true },
        { "internal-http2-no-error", true },
        { "internal-io", true },
        { "internal-http-request", true },
        { "internal-from-server", false },
        { "internal-other-cause", false },
        { "invalid-argument", false },
        { "deadline", false },
    };

    private static RpcException Case(string name) => name switch
    {
        "unavailable" => Made(StatusCode.Unavailable, null),
        "internal-http2-no-error" => Made(StatusCode.Internal, new HttpProtocolException(0, "The HTTP/2 server closed the connection. HTTP/2 error code 'NO_ERROR' (0x0).", null)),
        "internal-io" => Made(StatusCode.Internal, new InvalidOperationException("wrapper", new IOException("The response ended prematurely."))),
        "internal-http-request" => Made(StatusCode.Internal, new HttpRequestException("An error occurred while sending the request.")),
        "internal-from-server" => Made(StatusCode.Internal, null),
        "internal-other-cause" => Made(StatusCode.Internal, new InvalidDataException("bad message")),
        "invalid-argument" => Made(StatusCode.InvalidArgument, null),
        "deadline" => Made(StatusCode.DeadlineExceeded, new IOException("timed out")),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsTransportFailure_ClassifiesByCodeAndClientSideCause(string name, bool expected) =>
        Assert.Equal(expected, PlanningConnection.IsTransportFailure(Case(name)));

    [Fact]
    public async Task WithRetry_ConnectionClosedMidCall_RetriesAndSucceeds()
    {
        using var connection = new PlanningConnection("http://127.0.0.1:1", retry: new RetryConfig(InitialBackoff: TimeSpan.FromMilliseconds(1)));
        int attempts = 0;
        var result = await connection.WithRetryAsync(_ => ++attempts switch
        {
            1 => throw Case("internal-http2-no-error"),
            2 => throw Case("unavailable"),
            _ => Task.FromResult(42),
        }, CancellationToken.None);
        Assert.Equal(42, result);
        Assert.Equal(3, attempts);
        Assert.Equal(2, connection.Retries);
    }

    [Fact]
    public async Task WithRetry_InternalSentByTheServer_SurfacesAtOnce()
    {
        using var connection = new PlanningConnection("http://127.0.0.1:1", retry: new RetryConfig(InitialBackoff: TimeSpan.FromMilliseconds(1)));
        int attempts = 0;
        var e = await Assert.ThrowsAsync<RpcException>(() => connection.WithRetryAsync<int>(_ => { attempts++; throw Case("internal-from-server"); }, CancellationToken.None));
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Equal(1, attempts);
        Assert.Equal(0, connection.Retries);
    }
}
