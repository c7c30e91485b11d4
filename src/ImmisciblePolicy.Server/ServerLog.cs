using Microsoft.Extensions.Logging;

namespace ImmisciblePolicy.Server;

/// <summary>Every log line the server writes, source-generated (no boxing, no formatting when disabled).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Serving policy {PolicyId} from {Directory} (step {Step}, weights {Hash})")]
    public static partial void PolicyLoaded(ILogger logger, string policyId, string directory, long step, string hash);

    [LoggerMessage(2, LogLevel.Error, "Policy {PolicyId} at {Directory} could not be loaded; other policies keep serving")]
    public static partial void PolicyLoadFailed(ILogger logger, Exception error, string policyId, string directory);

    [LoggerMessage(3, LogLevel.Information, "Unloaded policy {PolicyId}")]
    public static partial void PolicyUnloaded(ILogger logger, string policyId);

    [LoggerMessage(4, LogLevel.Warning, "Policies directory {Directory} does not exist; starting with no policies")]
    public static partial void PoliciesDirectoryMissing(ILogger logger, string directory);

    [LoggerMessage(5, LogLevel.Error, "Policy {PolicyId} failed to plan a batch of {BatchSize}")]
    public static partial void PlanningFailed(ILogger logger, Exception error, string policyId, int batchSize);

    [LoggerMessage(6, LogLevel.Information, "Planning server listening on {Address} ({PolicyCount} policies, telemetry {Telemetry})")]
    public static partial void Listening(ILogger logger, string address, int policyCount, string telemetry);

    [LoggerMessage(7, LogLevel.Warning, "Dropped a robot telemetry message on topic {Topic}: {Reason} ({Suppressed} more dropped since the previous warning were not logged: at most one warning per {PeriodSeconds} s; {Total} dropped since start)")]
    public static partial void TelemetryRejected(ILogger logger, string topic, string reason, long suppressed, double periodSeconds, long total);

    [LoggerMessage(8, LogLevel.Warning, "Admin call {Method} refused: {Reason}")]
    public static partial void AdminRefused(ILogger logger, string method, string reason);

    [LoggerMessage(9, LogLevel.Error, "LoadPolicy {PolicyId} from {Directory} failed")]
    public static partial void AdminLoadFailed(ILogger logger, Exception error, string policyId, string directory);

    [LoggerMessage(10, LogLevel.Error, "Policy {PolicyId} produced non-finite actions for session {SessionId} at timestep {Timestep}; the request failed with INTERNAL")]
    public static partial void NonFiniteActions(ILogger logger, string policyId, string sessionId, long timestep);
}
