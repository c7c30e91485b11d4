namespace ImmisciblePolicy.Server.Telemetry;

/// <summary>
/// Lets one log line through per period and counts the ones it holds back, so a flood of bad input costs one
/// warning per period (with the count of the suppressed ones) instead of one line per message. Thread-safe.
/// </summary>
/// <param name="period">at most one line per period (10 s for robot telemetry).</param>
/// <param name="clock">current time (tests pass a fake clock); null = <see cref="DateTimeOffset.UtcNow"/>.</param>
public sealed class LogRateLimiter(TimeSpan period, Func<DateTimeOffset>? clock = null)
{
    private readonly object _gate = new();
    private readonly Func<DateTimeOffset> _clock = clock ?? (() => DateTimeOffset.UtcNow);
    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private long _held, _suppressedTotal;

    /// <summary>The period.</summary>
    public TimeSpan Period { get; } = period > TimeSpan.Zero ? period : throw new ArgumentOutOfRangeException(nameof(period), period, "must be positive");

    /// <summary>Lines held back since the start.</summary>
    public long Suppressed
    {
        get { lock (_gate) return _suppressedTotal; }
    }

    /// <summary>
    /// True when this event may be logged now; <paramref name="suppressedSinceLast"/> is how many were held back
    /// since the previous line that was let through (to report in this one).
    /// </summary>
    public bool ShouldLog(out long suppressedSinceLast)
    {
        lock (_gate)
        {
            var now = _clock();
            if (_last == DateTimeOffset.MinValue || now - _last >= Period)
            {
                _last = now;
                suppressedSinceLast = _held;
                _held = 0;
                return true;
            }
            _held++;
            _suppressedTotal++;
            suppressedSinceLast = 0;
            return false;
        }
    }
}
