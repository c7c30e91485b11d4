using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace ImmisciblePolicy.Server.Grpc;

/// <summary>
/// Requires the configured API key in the <c>x-api-key</c> header on every PlanningService call (health and
/// reflection stay open so probes need no secret). Compared in constant time.
/// </summary>
public sealed class ApiKeyInterceptor(ApiKeyInterceptor.Key key) : Interceptor
{
    /// <summary>The configured key (a type of its own so DI can inject it).</summary>
    public sealed record Key(string Value);

    /// <summary>Header that carries the API key.</summary>
    public const string Header = "x-api-key";

    private const string GuardedPrefix = "/immiscible.planning.v1.PlanningService/";

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (!context.Method.StartsWith(GuardedPrefix, StringComparison.Ordinal)) return;
        if (!Matches(context.RequestHeaders.GetValue(Header), key.Value))
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"missing or wrong '{Header}' header"));
    }

    /// <summary>Constant-time comparison of a presented secret with the expected one.</summary>
    public static bool Matches(string? presented, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (presented is null) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }
}
