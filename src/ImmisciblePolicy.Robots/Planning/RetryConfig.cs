namespace ImmisciblePolicy.Robots.Planning;

/// <summary>How a robot rides out a server that is restarting or briefly unreachable.</summary>
/// <param name="Timeout">give up after this long without an answer; 30 s covers a server restart that reloads policies.</param>
/// <param name="InitialBackoff">first wait after UNAVAILABLE; 50 ms is below one control period at 10 Hz.</param>
/// <param name="MaxBackoff">cap of the doubling wait; 1 s keeps reconnection prompt once the server is back.</param>
/// <param name="CallTimeout">deadline of one attempt; 20 s is far above a 100-step DDPM plan on CPU.</param>
public sealed record RetryConfig(
    TimeSpan? Timeout = null,
    TimeSpan? InitialBackoff = null,
    TimeSpan? MaxBackoff = null,
    TimeSpan? CallTimeout = null)
{
    /// <summary>Effective total timeout.</summary>
    public TimeSpan TotalTimeout => Timeout ?? TimeSpan.FromSeconds(30);

    /// <summary>Effective first backoff.</summary>
    public TimeSpan FirstBackoff => InitialBackoff ?? TimeSpan.FromMilliseconds(50);

    /// <summary>Effective backoff cap.</summary>
    public TimeSpan BackoffCap => MaxBackoff ?? TimeSpan.FromSeconds(1);

    /// <summary>Effective per-attempt deadline.</summary>
    public TimeSpan AttemptTimeout => CallTimeout ?? TimeSpan.FromSeconds(20);
}
