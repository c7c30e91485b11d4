namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Human-like variability of <see cref="PushTExpert"/> demonstrations (off unless asked for): each episode draws
/// its own speeds, pauses now and then, and wobbles along its travel paths. Human Push-T demonstrations
/// (Diffusion Policy's 206 episodes) vary in all three; the defaults are modest so the expert keeps succeeding.
/// </summary>
/// <param name="SpeedSpread">Travel and push speeds are each scaled by U(1 - s, 1 + s) per episode.</param>
/// <param name="HesitationProbability">Chance, before each move, of a pause that repeats the last target.</param>
/// <param name="MaxHesitationSteps">A pause lasts 1..this many control steps.</param>
/// <param name="Jitter">Standard deviation (px) of the Gaussian wobble of every travel target.</param>
public sealed record HumanVariability(
    double SpeedSpread = 0.25,
    double HesitationProbability = 0.15,
    int MaxHesitationSteps = 4,
    double Jitter = 2.0)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!(SpeedSpread >= 0 && SpeedSpread < 1))
        {
            throw new ArgumentException($"SpeedSpread must be in [0, 1); received {SpeedSpread}.");
        }

        if (!(HesitationProbability >= 0 && HesitationProbability <= 1))
        {
            throw new ArgumentException($"HesitationProbability must be in [0, 1]; received {HesitationProbability}.");
        }

        if (MaxHesitationSteps < 1)
        {
            throw new ArgumentException($"MaxHesitationSteps must be at least 1; received {MaxHesitationSteps}.");
        }

        if (!(Jitter >= 0 && Jitter <= 10))
        {
            throw new ArgumentException($"Jitter must be in [0, 10] px; received {Jitter}.");
        }
    }
}
