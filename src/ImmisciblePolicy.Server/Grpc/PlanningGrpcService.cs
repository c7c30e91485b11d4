using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Server.Inference;
using ImmisciblePolicy.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace ImmisciblePolicy.Server.Grpc;

/// <summary>
/// The gRPC adapter over <see cref="PolicyRegistry"/> and the inference workers: maps messages, maps domain
/// failures to status codes with client-safe messages, reports telemetry. No planning happens on these
/// threads; they await the policy's worker.
/// </summary>
public sealed class PlanningGrpcService(PolicyRegistry registry, PlanTelemetry telemetry, PlanningServerOptions options,
    ILogger<PlanningGrpcService> logger) : PlanningService.PlanningServiceBase
{
    /// <summary>Header that carries the admin key.</summary>
    public const string AdminHeader = "x-admin-key";

    /// <inheritdoc />
    public override async Task<PlanResponse> Plan(PlanRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        long receivedAt = Stopwatch.GetTimestamp();
        return await PlanOne(Validate(request), receivedAt, 0, context.CancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task StreamPlans(IAsyncStreamReader<PlanRequest> requestStream, IServerStreamWriter<PlanResponse> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        // Newest wins: a one-slot channel that drops the older observation when a newer one arrives while
        // a plan is in flight; drops are counted and reported in the next reply. Every request is validated
        // as it arrives, before it can be dropped: an invalid one ends the stream even when a newer one follows.
        long skipped = 0;
        var latest = Channel.CreateBounded<(ValidRequest Request, long ReceivedAt)>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => Interlocked.Increment(ref skipped));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var reader = Task.Run(async () =>
        {
            try
            {
                while (await requestStream.MoveNext(stop.Token).ConfigureAwait(false))
                {
                    long receivedAt = Stopwatch.GetTimestamp();
                    latest.Writer.TryWrite((Validate(requestStream.Current), receivedAt));
                }
                latest.Writer.TryComplete();
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or RpcException or InvalidOperationException)
            {
                latest.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var (request, receivedAt) in latest.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                var response = await PlanOne(request, receivedAt, Interlocked.Exchange(ref skipped, 0), stop.Token).ConfigureAwait(false);
                await responseStream.WriteAsync(response, stop.Token).ConfigureAwait(false);
            }
        }
        catch (ChannelClosedException e) when (e.InnerException is RpcException invalid)
        {
            throw invalid;
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException && context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "the stream was cancelled"));
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override Task<ListPoliciesResponse> ListPolicies(ListPoliciesRequest request, ServerCallContext context)
    {
        var response = new ListPoliciesResponse();
        response.Policies.AddRange(registry.All.Select(p => PlanMapping.ToInfo(p.Description)));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<PolicyInfo> GetPolicy(GetPolicyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(PlanMapping.ToInfo(Find(request.PolicyId).Description));
    }

    /// <inheritdoc />
    public override Task<PolicyInfo> LoadPolicy(LoadPolicyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        RequireAdmin(context);
        if (string.IsNullOrWhiteSpace(request.CheckpointDir))
            throw Status(StatusCode.InvalidArgument, "checkpoint_dir is required");
        // Loading reads files and builds a network: keep it off the I/O threads.
        return Task.Run(() =>
        {
            try
            {
                return PlanMapping.ToInfo(registry.Load(request.PolicyId, request.CheckpointDir));
            }
            catch (PolicyRootException e)
            {
                ServerLog.AdminRefused(logger, context.Method, e.Message);
                throw Status(StatusCode.PermissionDenied,
                    $"checkpoint_dir '{request.CheckpointDir}' is outside the policies directory and the server's extra policy roots (serve --allow-policy-root)");
            }
            catch (ArgumentException e)
            {
                throw Status(StatusCode.InvalidArgument, $"policy_id: {e.Message}");
            }
            catch (PolicyEngineException e)
            {
                throw Status(StatusCode.FailedPrecondition, $"checkpoint_dir '{request.CheckpointDir}': {e.Message}");
            }
            catch (DirectoryNotFoundException)
            {
                throw Status(StatusCode.NotFound, $"checkpoint_dir '{request.CheckpointDir}' does not exist");
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                ServerLog.AdminLoadFailed(logger, e, request.PolicyId, request.CheckpointDir);
                throw Status(StatusCode.FailedPrecondition,
                    $"checkpoint_dir '{request.CheckpointDir}' is not a loadable policy checkpoint; see the server log");
            }
        }, context.CancellationToken);
    }

    /// <inheritdoc />
    public override Task<UnloadPolicyResponse> UnloadPolicy(UnloadPolicyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        RequireAdmin(context);
        return Task.Run(() => new UnloadPolicyResponse { Unloaded = registry.Unload(request.PolicyId) }, context.CancellationToken);
    }

    // A request that passed validation: its policy, its domain input and the tensor form to answer in.
    private sealed record ValidRequest(ServedPolicy Served, PlanInput Input, bool AsBytes);

    private ValidRequest Validate(PlanRequest request)
    {
        var served = Find(request.PolicyId);
        return new ValidRequest(served, PlanMapping.ToInput(request, served.Description), PlanMapping.UsesBytes(request));
    }

    private async Task<PlanResponse> PlanOne(ValidRequest request, long receivedAt, long skipped, CancellationToken cancellationToken)
    {
        var (served, input, asBytes) = request;
        PlanOutcome outcome;
        try
        {
            outcome = await served.Worker.PlanAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (PlanRejectedException e)
        {
            throw Status(e.Reason switch
            {
                PlanRejection.QueueFull => StatusCode.ResourceExhausted,
                PlanRejection.PolicyUnavailable => StatusCode.Unavailable,
                _ => StatusCode.Internal,
            }, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw Status(StatusCode.Cancelled, "the call was cancelled or its deadline passed while it waited");
        }
        double totalMs = Stopwatch.GetElapsedTime(receivedAt).TotalMilliseconds;
        served.Worker.Statistics.RecordPlan(totalMs);
        var d = served.Description;
        telemetry.Plan(new PlanRecord(d.Id, d.Version, input.SessionId, input.Timestep, input.ObservationTime, input.Window, outcome,
            totalMs, DateTimeOffset.UtcNow));
        return PlanMapping.ToResponse(d, input, outcome, totalMs, skipped, asBytes);
    }

    private ServedPolicy Find(string policyId)
    {
        if (string.IsNullOrEmpty(policyId)) throw Status(StatusCode.InvalidArgument, "policy_id is required");
        return registry.Find(policyId)
               ?? throw Status(StatusCode.NotFound,
                   $"policy_id '{policyId}' is not served; available: [{string.Join(", ", registry.All.Select(p => p.Description.Id))}]");
    }

    private void RequireAdmin(ServerCallContext context)
    {
        if (options.AdminKey is null)
        {
            ServerLog.AdminRefused(logger, context.Method, "no admin key configured");
            throw Status(StatusCode.PermissionDenied, "admin calls are disabled: the server has no admin key");
        }
        if (!ApiKeyInterceptor.Matches(context.RequestHeaders.GetValue(AdminHeader), options.AdminKey))
        {
            ServerLog.AdminRefused(logger, context.Method, "missing or wrong key");
            throw Status(StatusCode.PermissionDenied, $"missing or wrong '{AdminHeader}' header");
        }
    }

    private static RpcException Status(StatusCode code, string message) => new(new global::Grpc.Core.Status(code, message));
}
