using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Noise.NoiseTestData;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

/// <summary>Runs alone: the live-tensor counter is process-wide, so parallel test classes would disturb it.</summary>
[CollectionDefinition(nameof(NoiseAssignersTests), DisableParallelization = true)]
public sealed class NoiseAssignersSerialCollection;

[Collection(nameof(NoiseAssignersTests))]
public class NoiseAssignersTests
{
    [Theory]
    [InlineData(NoiseAssignmentMethod.Vanilla, 0, "vanilla")]
    [InlineData(NoiseAssignmentMethod.Knn, 0, "knn-k2")]
    [InlineData(NoiseAssignmentMethod.LinearAssignment, 0, "assign-l2")]
    [InlineData(NoiseAssignmentMethod.Knn, 100, "knn-k2-warmup100")]
    [InlineData(NoiseAssignmentMethod.Vanilla, 100, "vanilla")]
    public void Create_BuildsTheConfiguredAssigner(NoiseAssignmentMethod method, long warmup, string name) =>
        Assert.Equal(name, NoiseAssigners.Create(new NoiseAssignmentConfig { Method = method, WarmupSteps = warmup }).Name);

    [Fact]
    public void Create_InvalidConfig_NamesTheField()
    {
        var pool = Assert.Throws<ArgumentException>(() => NoiseAssigners.Create(new NoiseAssignmentConfig { PoolTo = 0 }));
        Assert.Equal("PoolTo", pool.ParamName);
        var warm = Assert.Throws<ArgumentException>(() => NoiseAssigners.Create(new NoiseAssignmentConfig { WarmupSteps = -1 }));
        Assert.Equal("WarmupSteps", warm.ParamName);
        var method = Assert.Throws<ArgumentException>(() => NoiseAssigners.Create(new NoiseAssignmentConfig { Method = (NoiseAssignmentMethod)9 }));
        Assert.Equal("Method", method.ParamName);
    }

    [Theory]
    [InlineData(NoiseAssignmentMethod.Vanilla)]
    [InlineData(NoiseAssignmentMethod.Knn)]
    [InlineData(NoiseAssignmentMethod.LinearAssignment)]
    public void Assign_OverAThousandCalls_LeavesLiveTensorCountFlat(NoiseAssignmentMethod method)
    {
        Init();
        var assigner = NoiseAssigners.Create(new NoiseAssignmentConfig { Method = method, K = 4 });
        using var x0 = Data(1, 16, 8);
        using var g = new Generator(1);
        for (int i = 0; i < 10; i++) assigner.Assign(x0, g).Dispose(); // warm-up: lazily created tensors settle
        long before = Tensor.TotalCount;
        for (int i = 0; i < 1000; i++)
        {
            using var noise = assigner.Assign(x0, g);
        }
        long after = Tensor.TotalCount;
        Assert.True(after <= before, $"{assigner.Name}: live tensors went from {before} to {after} over 1000 calls");
    }
}
