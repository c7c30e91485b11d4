using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics.Tests;

public sealed class SimTasksTests
{
    private static DemonstrationDataset Dataset(int width, int environment) => new(
        [Episode.FromFrames([new float[width]], [new float[2]], 10)], 10,
        [.. Enumerable.Range(0, width).Select(i => $"v{i}")], ["x", "y"], ["t"], environmentStateDim: environment);

    [Theory]
    [InlineData(PushTObservation.State)]
    [InlineData(PushTObservation.Keypoints)]
    [InlineData(PushTObservation.EnvironmentStateAgentPos)]
    public void ObservationOf_RecognisesEveryLayoutFromTheDatasetWidths(PushTObservation layout)
    {
        int width = PushTEnv.SizeOf(layout), environment = SimTasks.EnvironmentStateDim(SimTaskKind.PushT, layout);
        Assert.Equal(width, SimTasks.ObservationNames(SimTaskKind.PushT, layout).Length);
        Assert.Equal(width, SimTasks.Create(SimTaskKind.PushT, layout).ObservationSize);
        Assert.Equal(layout, SimTasks.ObservationOf(Dataset(width, environment)));
    }

    [Fact]
    public void ObservationOf_AWidthThatFitsNoLayout_IsRejectedWithTheWidths()
    {
        var e = Assert.Throws<ArgumentException>(() => SimTasks.ObservationOf(Dataset(18, 0)));
        Assert.Contains("18 values, 0 of them observation.environment_state", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("state", PushTObservation.State)]
    [InlineData("env-state", PushTObservation.EnvironmentStateAgentPos)]
    [InlineData("environment_state_agent_pos", PushTObservation.EnvironmentStateAgentPos)]
    [InlineData(" Keypoints ", PushTObservation.Keypoints)]
    public void ParseObservation_AcceptsTheCommandLineNames(string name, PushTObservation layout) =>
        Assert.Equal(layout, SimTasks.ParseObservation(name));

    [Fact]
    public void ParseObservation_NamesTheChoicesOnABadName() =>
        Assert.Contains("'state', 'env-state' or 'keypoints'", Assert.Throws<ArgumentException>(() => SimTasks.ParseObservation("pixels")).Message,
            StringComparison.Ordinal);
}
