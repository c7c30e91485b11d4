using ImmisciblePolicy.Server.Telemetry;

namespace ImmisciblePolicy.Server.Hosting;

/// <summary>Everything that configures a planning server. Defaults are safe for a robot on the same machine.</summary>
public sealed record PlanningServerOptions
{
    /// <summary>Directory whose sub-directories are policy checkpoints, each served under its directory name.</summary>
    public required string PoliciesDirectory { get; init; }

    /// <summary>
    /// Listening address. Loopback h2c by default so nothing is exposed off the machine; port 0 picks a free
    /// port (see <see cref="RunningPlanningServer.Port"/>). Use https:// together with a certificate for TLS.
    /// </summary>
    public string Url { get; init; } = "http://127.0.0.1:50051";

    /// <summary>PKCS#12 certificate file for TLS (https URLs); null serves plaintext HTTP/2.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>Password of <see cref="CertificatePath"/>; null when the file has none.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>When set, every PlanningService call must carry it in the <c>x-api-key</c> header (health and reflection stay open).</summary>
    public string? ApiKey { get; init; }

    /// <summary>When set, LoadPolicy/UnloadPolicy need it in <c>x-admin-key</c>; null disables the admin calls.</summary>
    public string? AdminKey { get; init; }

    /// <summary>Most requests planned in one network call: 32 fills the CPU's vector units without long tails.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>
    /// How long the first request of a batch waits for company, in milliseconds. 2 ms is small against a
    /// 10-step DDIM plan (tens of ms on CPU) and large against gRPC's own overhead. 0 never waits.
    /// </summary>
    public double MaxWaitMs { get; init; } = 2;

    /// <summary>Requests waiting per policy before new ones get RESOURCE_EXHAUSTED: 8 full batches.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>Default of <see cref="MaxMessageBytes"/>: 16 MiB.</summary>
    public const int DefaultMaxMessageBytes = 16 << 20;

    /// <summary>
    /// Largest message received or sent, in bytes (gRPC's max receive and send message sizes). 16 MiB holds an
    /// observation with two 640x480 RGB cameras at To = 2 (3.7 MB as uint8, 14.7 MB as float32) and leaves a
    /// low-dimensional window's few hundred bytes far behind; larger requests are refused with
    /// RESOURCE_EXHAUSTED before they are parsed. <c>serve --max-message-mb</c>.
    /// </summary>
    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary>
    /// Directories besides <see cref="PoliciesDirectory"/> that the admin LoadPolicy call may read checkpoints
    /// from (<c>serve --allow-policy-root</c>); anything else, symlinks resolved, is PERMISSION_DENIED.
    /// </summary>
    public IReadOnlyList<string> ExtraPolicyRoots { get; init; } = [];

    /// <summary>libtorch intra-op threads; null = IMMISCIBLE_THREADS or all cores (TorchRuntime.Configure).</summary>
    public int? TorchThreads { get; init; }

    /// <summary>
    /// What runs each policy's denoiser: TorchSharp (default) or ONNX Runtime (<c>serve --engine onnx</c>), which plans
    /// a small network several times faster at batch 1 (docs/benchmarks/policy.md). Validation, batching, seeds and
    /// telemetry are the same; PolicyInfo.engine says which one serves.
    /// </summary>
    public ImmisciblePolicy.Policy.PolicyEngine Engine { get; init; } = ImmisciblePolicy.Policy.PolicyEngine.Torch;

    /// <summary>ONNX Runtime settings (intra-op threads, CPU or CUDA) for <see cref="Engine"/> = Onnx; null = one thread on the CPU.</summary>
    public ImmisciblePolicy.Onnx.OnnxEngineOptions? Onnx { get; init; }

    /// <summary>ZeroMQ PUB endpoint for <c>plan</c>/<c>metrics</c> telemetry; null disables telemetry.</summary>
    public string? TelemetryEndpoint { get; init; } = "tcp://127.0.0.1:5556";

    /// <summary>ZeroMQ SUB endpoint (bound) where robots publish <c>obs</c>/<c>executed</c>; null disables the relay.</summary>
    public string? TelemetryInEndpoint { get; init; }

    /// <summary>
    /// Messages queued per telemetry subscriber before ZeroMQ drops for it: 1000 is about 10 s of plans for
    /// a 100 Hz fleet. A slow or dead subscriber loses messages; planning never waits for it.
    /// </summary>
    public int TelemetryHighWatermark { get; init; } = 1000;

    /// <summary>Telemetry messages waiting for the publisher thread before new ones are dropped.</summary>
    public int TelemetryQueueCapacity { get; init; } = 4096;

    /// <summary>
    /// Largest robot telemetry message (payload frame) accepted on <see cref="TelemetryInEndpoint"/>: 1 MiB by
    /// default, an <c>obs</c> message with PNG camera frames (one 640 x 480 RGB frame even uncompressed; a 96 x 96
    /// Push-T frame is a few KB at most). A robot sending more is disconnected by ZeroMQ (ZMQ_MAXMSGSIZE) before the message
    /// is buffered, so a flood costs at most the receive high-water mark (1000) times this: lower it (e.g. 64 KiB)
    /// for fleets without cameras.
    /// </summary>
    public int TelemetryMaxRobotMessageBytes { get; init; } = TelemetryHub.DefaultMaxRobotMessageBytes;

    /// <summary>Period of the per-policy <c>metrics</c> message.</summary>
    public TimeSpan MetricsPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(PoliciesDirectory))
            throw new ArgumentException("a policies directory is required", nameof(PoliciesDirectory));
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new ArgumentException($"{nameof(Url)} must be an absolute http:// or https:// URL; got '{Url}'", nameof(Url));
        if (uri.Scheme == "https" && CertificatePath is null)
            throw new ArgumentException($"{nameof(Url)} is https but no {nameof(CertificatePath)} is configured (serve --cert FILE.pfx)", nameof(CertificatePath));
        if (CertificatePath is not null && !File.Exists(CertificatePath))
            throw new ArgumentException($"{nameof(CertificatePath)} '{CertificatePath}' does not exist", nameof(CertificatePath));
        if (MaxBatch < 1) throw new ArgumentException($"{nameof(MaxBatch)} must be at least 1; got {MaxBatch}", nameof(MaxBatch));
        if (!(MaxWaitMs >= 0) || double.IsInfinity(MaxWaitMs))
            throw new ArgumentException($"{nameof(MaxWaitMs)} must be a finite number >= 0; got {MaxWaitMs}", nameof(MaxWaitMs));
        if (QueueCapacity < 1) throw new ArgumentException($"{nameof(QueueCapacity)} must be at least 1; got {QueueCapacity}", nameof(QueueCapacity));
        if (MaxMessageBytes < 1024)
            throw new ArgumentException($"{nameof(MaxMessageBytes)} must be at least 1024; got {MaxMessageBytes}", nameof(MaxMessageBytes));
        foreach (var root in ExtraPolicyRoots)
            if (string.IsNullOrWhiteSpace(root) || !Directory.Exists(root))
                throw new ArgumentException($"{nameof(ExtraPolicyRoots)}: '{root}' is not an existing directory", nameof(ExtraPolicyRoots));
        if (TorchThreads is < 1) throw new ArgumentException($"{nameof(TorchThreads)} must be at least 1; got {TorchThreads}", nameof(TorchThreads));
        if (TelemetryHighWatermark < 1)
            throw new ArgumentException($"{nameof(TelemetryHighWatermark)} must be at least 1; got {TelemetryHighWatermark}", nameof(TelemetryHighWatermark));
        if (TelemetryQueueCapacity < 1)
            throw new ArgumentException($"{nameof(TelemetryQueueCapacity)} must be at least 1; got {TelemetryQueueCapacity}", nameof(TelemetryQueueCapacity));
        if (TelemetryMaxRobotMessageBytes < 256)
            throw new ArgumentException($"{nameof(TelemetryMaxRobotMessageBytes)} must be at least 256; got {TelemetryMaxRobotMessageBytes}", nameof(TelemetryMaxRobotMessageBytes));
        if (MetricsPeriod <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(MetricsPeriod)} must be positive; got {MetricsPeriod}", nameof(MetricsPeriod));
    }
}
