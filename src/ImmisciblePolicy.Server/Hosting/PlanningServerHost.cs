using System.Security.Cryptography.X509Certificates;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Server.Grpc;
using ImmisciblePolicy.Server.Inference;
using ImmisciblePolicy.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace ImmisciblePolicy.Server.Hosting;

/// <summary>
/// Starts a planning server in this process: Kestrel with HTTP/2 only (h2c unless a certificate is given),
/// PlanningService, grpc.health.v1 and reflection, policies loaded from the policies directory, telemetry.
/// Used by <c>immiscible serve</c>, the demo, the benchmark and the tests (port 0 = a free port).
/// </summary>
public static class PlanningServerHost
{
    /// <summary>Name of the health check behind grpc.health.v1 (SERVING while at least one policy is loaded).</summary>
    public const string HealthCheckName = "policies";

    /// <summary>
    /// Starts the server and returns once it listens. Configuration errors (invalid options, a certificate that
    /// cannot be opened) throw <see cref="ArgumentException"/> naming the option, before anything starts.
    /// </summary>
    /// <param name="options">what to serve and how.</param>
    /// <param name="configureLogging">optional logging setup (the default logs warnings to the console).</param>
    /// <param name="cancellationToken">cancels start-up.</param>
    public static async Task<RunningPlanningServer> StartAsync(PlanningServerOptions options, Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var certificate = options.CertificatePath is null ? null : LoadCertificate(options.CertificatePath, options.CertificatePassword);
        TorchRuntime.Configure(options.TorchThreads);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (configureLogging is null) builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        else configureLogging(builder.Logging);
        // grpc.health.v1 already answers NOT_SERVING; an error line per probe would only flood the log.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);

        var url = new Uri(options.Url);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2);
            if (certificate is not null) kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        });
        // The slim builder leaves HTTPS out unless asked for.
        if (url.Scheme == Uri.UriSchemeHttps) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new WorkerSettings(options.MaxBatch, options.MaxWaitMs, options.QueueCapacity, options.TorchThreads,
            options.Engine, options.Onnx));
        builder.Services.AddSingleton(sp => new PolicyRegistry(options.PoliciesDirectory, sp.GetRequiredService<WorkerSettings>(),
            sp.GetRequiredService<ILogger<PolicyRegistry>>(), options.ExtraPolicyRoots));
        builder.Services.AddSingleton(sp => new PlanTelemetry(options.TelemetryEndpoint is null
            ? null
            : new TelemetryHub(options.TelemetryEndpoint, options.TelemetryInEndpoint, options.TelemetryHighWatermark,
                options.TelemetryQueueCapacity, sp.GetRequiredService<ILogger<TelemetryHub>>(), options.TelemetryMaxRobotMessageBytes)));
        if (options.ApiKey is not null) builder.Services.AddSingleton(new ApiKeyInterceptor.Key(options.ApiKey));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxMessageBytes;
            grpc.MaxSendMessageSize = options.MaxMessageBytes;
            // Clients get our own status messages; exception text (possibly native libtorch) stays in the log.
            grpc.EnableDetailedErrors = false;
            if (options.ApiKey is not null) grpc.Interceptors.Add<ApiKeyInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks(health =>
            {
                health.Services.Map("", _ => true);
                health.Services.Map("immiscible.planning.v1.PlanningService", _ => true);
            })
            .AddCheck<PoliciesHealthCheck>(HealthCheckName);

        var app = builder.Build();
        app.MapGrpcService<PlanningGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();

        var registry = app.Services.GetRequiredService<PolicyRegistry>();
        var telemetry = app.Services.GetRequiredService<PlanTelemetry>();
        try
        {
            await Task.Run(registry.LoadAll, cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            registry.Dispose();
            telemetry.Hub?.Dispose();
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var address = new Uri(bound);
        var logger = app.Services.GetRequiredService<ILogger<RunningPlanningServer>>();
        ServerLog.Listening(logger, address.ToString(), registry.All.Count, telemetry.Hub?.Endpoint ?? "off");
        return new RunningPlanningServer(app, address, registry, telemetry, options.MetricsPeriod);
    }

    // A missing file or a wrong password must stop start-up with a sentence, not a stack trace.
    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new ArgumentException($"{nameof(PlanningServerOptions.CertificatePath)} '{path}' could not be opened as a PKCS#12 certificate " +
                                        $"(wrong --cert-password, or not a .pfx/.p12 file): {e.Message}", nameof(PlanningServerOptions.CertificatePath), e);
        }
        catch (IOException e)
        {
            throw new ArgumentException($"{nameof(PlanningServerOptions.CertificatePath)} '{path}' could not be read: {e.Message}",
                nameof(PlanningServerOptions.CertificatePath), e);
        }
    }
}
