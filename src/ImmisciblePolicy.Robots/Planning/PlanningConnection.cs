using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Robots.Planning;

/// <summary>
/// A robot's link to a planning server: one HTTP/2 channel (h2c for http:// URLs), the API key on every call,
/// and retries with exponential backoff while the server cannot be reached (restarting, not yet listening, or
/// its connection torn down mid-call: see <see cref="IsTransportFailure"/>), so clients reconnect by themselves
/// when a server comes back on the same address. Status codes the server itself sent are the caller's problem
/// and surface at once. A <c>dns:///host:port</c> address (e.g. a Kubernetes headless
/// Service) resolves every replica and spreads calls over them round robin: HTTP/2 keeps one long-lived
/// connection, so balancing per connection (an L4 Service) would pin a robot to one replica.
/// </summary>
public sealed class PlanningConnection : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Metadata _headers = [];
    private long _retries;

    /// <param name="url">server address, e.g. http://127.0.0.1:50051.</param>
    /// <param name="apiKey">sent as <c>x-api-key</c> when the server requires one.</param>
    /// <param name="retry">reconnection policy; null = defaults.</param>
    /// <param name="maxMessageBytes">largest message sent or received; the server's default, 16 MiB, holds camera observations.</param>
    public PlanningConnection(string url, string? apiKey = null, RetryConfig? retry = null, int maxMessageBytes = DefaultMaxMessageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1024);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https" && uri.Scheme != "dns"))
            throw new ArgumentException($"server URL must be an absolute http://, https:// or dns:/// address; received '{url}'", nameof(url));
        Url = url;
        Retry = retry ?? new RetryConfig();
        bool dns = uri.Scheme == "dns";
        _channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            // gRPC's 4 MiB receive default would refuse replies the server may send (serve --max-message-mb).
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
            // dns:/// carries no scheme for TLS: plaintext h2c, as inside a cluster network.
            Credentials = dns ? ChannelCredentials.Insecure : null,
            ServiceConfig = dns ? new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } } : null,
            HttpHandler = new SocketsHttpHandler
            {
                // Keep the connection warm between plans and notice a dead server quickly.
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
        });
        if (apiKey is not null) _headers.Add("x-api-key", apiKey);
        Client = new PlanningService.PlanningServiceClient(_channel);
        Health = new Health.HealthClient(_channel);
    }

    /// <summary>16 MiB: the planning server's default message limit (two 640x480 RGB cameras at To = 2 fit).</summary>
    public const int DefaultMaxMessageBytes = 16 << 20;

    /// <summary>The server address.</summary>
    public string Url { get; }

    /// <summary>Reconnection policy.</summary>
    public RetryConfig Retry { get; }

    /// <summary>The generated client, for calls this class does not wrap.</summary>
    public PlanningService.PlanningServiceClient Client { get; }

    /// <summary>grpc.health.v1 client on the same channel.</summary>
    public Health.HealthClient Health { get; }

    /// <summary>Headers sent with every call (API key).</summary>
    public Metadata Headers => _headers;

    /// <summary>Attempts that failed in transport (<see cref="IsTransportFailure"/>) and were retried.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Plans one chunk, retrying while the server is unavailable.</summary>
    public Task<PlanResponse> PlanAsync(PlanRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return WithRetryAsync(o => Client.PlanAsync(request, o).ResponseAsync, cancellationToken);
    }

    /// <summary>Describes a served policy.</summary>
    public Task<PolicyInfo> GetPolicyAsync(string policyId, CancellationToken cancellationToken = default) =>
        WithRetryAsync(o => Client.GetPolicyAsync(new GetPolicyRequest { PolicyId = policyId }, o).ResponseAsync, cancellationToken);

    /// <summary>
    /// The policy to drive <paramref name="task"/> with: <paramref name="policyId"/> when given, else the only
    /// (or first by id) served policy for that task. Throws when none fits.
    /// </summary>
    public async Task<PolicyInfo> ResolvePolicyAsync(string? policyId, SimTaskKind task, CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrEmpty(policyId)) return await GetPolicyAsync(policyId, cancellationToken).ConfigureAwait(false);
        var all = await WithRetryAsync(o => Client.ListPoliciesAsync(new ListPoliciesRequest(), o).ResponseAsync, cancellationToken).ConfigureAwait(false);
        var fitting = all.Policies.Where(p => string.Equals(p.Task, task.ToString(), StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => p.PolicyId, StringComparer.Ordinal).ToList();
        return fitting.FirstOrDefault() ?? throw new InvalidOperationException(
            $"the server at {Url} serves no {task} policy (serving: {string.Join(", ", all.Policies.Select(p => $"{p.PolicyId} ({p.Task})"))})");
    }

    /// <summary>Health of <paramref name="service"/> ("" = the whole server); one attempt, no retry.</summary>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckHealthAsync(string service = "", TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var reply = await Health.CheckAsync(new HealthCheckRequest { Service = service },
            new CallOptions(_headers, DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(3)), cancellationToken)).ResponseAsync.ConfigureAwait(false);
        return reply.Status;
    }

    /// <summary>
    /// True when a call failed because the server could not be reached or its connection went away, not because
    /// the server answered with an error: UNAVAILABLE, or any status grpc-dotnet made up on the client from an
    /// HTTP/2 or socket failure. The second case matters when a server shuts down under a live connection: an
    /// HTTP/2 stream ended by the closing server (e.g. error code NO_ERROR) maps to INTERNAL, not UNAVAILABLE
    /// (grpc-dotnet <c>src/Shared/HttpExceptionResolver.cs</c>, gRPC's HTTP/2 error-code table). A status sent by
    /// the server carries no client-side exception, so a real INTERNAL from the server is never retried.
    /// </summary>
    public static bool IsTransportFailure(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.StatusCode == StatusCode.Unavailable) return true;
        if (e.StatusCode != StatusCode.Internal) return false;
        for (var x = e.Status.DebugException; x is not null; x = x.InnerException)
            if (x is HttpProtocolException or HttpRequestException or IOException or System.Net.Sockets.SocketException) return true;
        return false;
    }

    /// <summary>Runs a call with the API key and per-attempt deadline, retrying transport failures with doubling backoff.</summary>
    public async Task<T> WithRetryAsync<T>(Func<CallOptions, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var giveUp = DateTime.UtcNow + Retry.TotalTimeout;
        var backoff = Retry.FirstBackoff;
        while (true)
        {
            try
            {
                return await call(new CallOptions(_headers, DateTime.UtcNow + Retry.AttemptTimeout, cancellationToken)).ConfigureAwait(false);
            }
            catch (RpcException e) when (IsTransportFailure(e) && DateTime.UtcNow + backoff < giveUp && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Retry.BackoffCap.Ticks));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();
}
