using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class PushTModeClassifierTests
{
    [Fact]
    public void NetRotation_UnwrapsAnglesThatCrossTwoPi()
    {
        // A steady clockwise (increasing) turn of 0.5 rad per step through 2 pi, seen as angles mod 2 pi.
        double[] wrapped = [.. Enumerable.Range(0, 16).Select(t => ((5.0 + (0.5 * t)) % (2 * Math.PI)))];
        Assert.Equal(7.5, PushTModeClassifier.NetRotation(wrapped), 9);
        Assert.Equal(PushTMode.Clockwise, PushTModeClassifier.FromNetRotation(7.5));
    }

    [Theory]
    [InlineData(0.0, PushTMode.None)]
    [InlineData(0.0999, PushTMode.None)]
    [InlineData(-0.0999, PushTMode.None)]
    [InlineData(0.1, PushTMode.Clockwise)]
    [InlineData(-0.1, PushTMode.CounterClockwise)]
    [InlineData(-6.0, PushTMode.CounterClockwise)]
    public void FromNetRotation_NeedsATurnOfAtLeastTheThreshold(double net, PushTMode mode) =>
        Assert.Equal(mode, PushTModeClassifier.FromNetRotation(net));

    [Fact]
    public void Classify_WhenTheBlockNeverMoves_IsNone()
    {
        var still = Enumerable.Repeat(new Pose2(200, 200, 1.0), 30).ToArray();
        Assert.Equal(PushTMode.None, PushTModeClassifier.Classify(still));
    }

    [Fact]
    public void Classify_ABackAndForthWiggle_CountsOnlyTheNetTurn()
    {
        // +0.8 then -1.0: net -0.2 rad, counter-clockwise.
        double[] angles = [0, 0.4, 0.8, 0.3, -0.2];
        Assert.Equal(PushTMode.CounterClockwise, PushTModeClassifier.Classify(angles.Select(a => new Pose2(0, 0, a)).ToArray()));
    }

    [Theory]
    [InlineData(PushTObservation.State)]
    [InlineData(PushTObservation.Keypoints)]
    [InlineData(PushTObservation.EnvironmentStateAgentPos)]
    public void BlockAngle_IsRecoveredFromEveryLayout(PushTObservation layout)
    {
        var env = new PushTEnv(new PushTConfig(Observation: layout));
        foreach (double angle in new[] { -2.9, -1.0, 0.0, 0.7, 3.1, 5.5 })
        {
            var obs = env.ResetTo(new Vec2(40, 470), new Vec2(250, 200), angle);
            double recovered = PushTModeClassifier.BlockAngle(obs, layout);
            double diff = Math.IEEERemainder(recovered - angle, 2 * Math.PI);
            Assert.True(Math.Abs(diff) < 1e-9, $"{layout}: angle {angle} recovered as {recovered}");
        }
    }

    [Fact]
    public void BlockAngle_RejectsAnObservationOfTheWrongLength()
    {
        var e = Assert.Throws<ArgumentException>(() => PushTModeClassifier.BlockAngle(new double[5], PushTObservation.Keypoints));
        Assert.Contains("20 values; received 5", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PushTMode.Clockwise, 1.0, (2 * Math.PI) - 1.0)]
    [InlineData(PushTMode.CounterClockwise, 1.0, -1.0)]
    [InlineData(PushTMode.None, 1.0, -1.0)]
    [InlineData(PushTMode.Clockwise, -0.5, 0.5)]
    [InlineData(PushTMode.CounterClockwise, -0.5, 0.5 - (2 * Math.PI))]
    [InlineData(PushTMode.None, -0.5, 0.5)]
    public void TargetAngle_TurnsTheChosenWayOntoTheGoalAngle(PushTMode mode, double startMinusGoal, double expectedTurn)
    {
        // Goal angle pi/4; the expert turns by target - start.
        double start = (Math.PI / 4) + startMinusGoal;
        Assert.Equal(expectedTurn, PushTExpert.TargetAngle(start, mode) - start, 9);
    }

    /// <summary>
    /// From one initial state the two directed experts both succeed, turn the block opposite ways, and the classifier
    /// gives each its own label from the recorded observations alone (keypoints) and from the block poses.
    /// </summary>
    [Theory]
    [InlineData(2L)]
    [InlineData(100001L)]
    public void DirectedExperts_FromTheSameState_SucceedTurningOppositeWays_AndAreClassifiedAsSuch(long seed)
    {
        foreach (var mode in new[] { PushTMode.Clockwise, PushTMode.CounterClockwise })
        {
            var env = new PushTEnv(new PushTConfig(Observation: PushTObservation.Keypoints));
            env.Reset(seed);
            var poses = new List<Pose2> { env.State.Block };
            var episode = new PushTExpert(PushTExpertConfig.Multimodal).Run(env, mode);
            Assert.True(episode.Success, $"seed {seed} {mode}: final coverage {episode.FinalScore:F3} after {episode.Actions.Count} steps");

            var replay = new PushTEnv(new PushTConfig(Observation: PushTObservation.Keypoints));
            replay.Reset(seed);
            foreach (var action in episode.Actions)
            {
                replay.Step(action);
                poses.Add(replay.State.Block);
            }

            var observations = episode.Observations.Append(replay.Observe()).ToArray();
            Assert.Equal(mode, PushTModeClassifier.Classify(poses));
            Assert.Equal(mode, PushTModeClassifier.Classify(observations, PushTObservation.Keypoints));
        }
    }
}
