using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Fakes;

/// <summary>Vanilla pairing (independent N(0, I) from the generator) that records its inputs.</summary>
internal sealed class FakeNoiseAssigner : INoiseAssigner
{
    public string Name => "fake-vanilla";

    public List<(long[] Shape, long Step)> Calls { get; } = [];

    public Tensor Assign(Tensor x0, Generator? generator, long step = 0)
    {
        Calls.Add((x0.shape, step));
        return randn(x0.shape, dtype: x0.dtype, generator: generator);
    }
}
