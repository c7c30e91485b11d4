namespace ImmisciblePolicy.Sim;

/// <summary>Shared checks for 2D target-position actions.</summary>
internal static class ActionValidation
{
    /// <summary>Rejects a wrong length or non-finite entries; returns the target clipped to [0, size]^2.</summary>
    public static Geometry.Vec2 ToClippedTarget(ReadOnlySpan<double> action, double size)
    {
        if (action.Length != 2)
        {
            throw new ArgumentException($"Action must have 2 entries (target x, y); received {action.Length}.", nameof(action));
        }

        for (int i = 0; i < 2; i++)
        {
            if (!double.IsFinite(action[i]))
            {
                throw new ArgumentException($"Action entry {i} must be finite; received {action[i]}.", nameof(action));
            }
        }

        return new Geometry.Vec2(Math.Clamp(action[0], 0, size), Math.Clamp(action[1], 0, size));
    }
}
