using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>Deterministic camera frames and datasets that carry them.</summary>
internal static class CameraFixtures
{
    public static readonly ImageFeature Camera = new("observation.image", 12, 16, 3);

    /// <summary>
    /// Frame t of episode e: a smooth gradient plus a moving square, so frames differ, PNG compresses them and a
    /// video codec reproduces them closely. Pixel (y, x, c) = (8 y + 5 x + 40 c + 9 t + 50 e) mod 256, except a
    /// 4 x 4 square at column 2 + t (mod W - 4) painted (250, 30, 30).
    /// </summary>
    public static byte[] Frame(ImageFeature feature, int e, int t)
    {
        var frame = new byte[feature.FrameBytes];
        int square = 2 + (t % Math.Max(1, feature.Width - 6));
        for (int y = 0; y < feature.Height; y++)
        {
            for (int x = 0; x < feature.Width; x++)
            {
                bool inSquare = y >= 2 && y < 6 && x >= square && x < square + 4;
                for (int c = 0; c < feature.Channels; c++)
                {
                    int value = inSquare ? (c == 0 ? 250 : 30) : ((8 * y) + (5 * x) + (40 * c) + (9 * t) + (50 * e)) % 256;
                    frame[(((y * feature.Width) + x) * feature.Channels) + c] = (byte)value;
                }
            }
        }
        return frame;
    }

    public static InMemoryImageFrames Frames(ImageFeature feature, int e, int length) =>
        new(feature, [.. Enumerable.Range(0, length).Select(t => Frame(feature, e, t))]);

    /// <summary>DatasetFixtures' episodes (states, actions, signals) with a camera attached.</summary>
    public static DemonstrationDataset MakeDataset(ImageFeature feature, params int[] lengths) => new(
        [.. lengths.Select((length, e) => WithImages(DatasetFixtures.MakeEpisode(e, length), Frames(feature, e, length)))],
        fps: 10,
        stateNames: ["agent_x", "agent_y"],
        actionNames: ["target"],
        tasks: ["Push the T-shaped block onto the target.", "Second task"],
        robotType: "2d pointer");

    public static Episode WithImages(Episode episode, params IImageFrames[] cameras) => new(
        episode.StateDim, episode.ActionDim, episode.States, episode.Actions, episode.Timestamps,
        episode.HasRewards ? episode.Rewards.ToArray() : null,
        episode.HasSuccesses ? episode.Successes.ToArray() : null,
        episode.HasDones ? episode.Dones.ToArray() : null,
        episode.TaskIndex,
        cameras.ToDictionary(c => c.Feature.Name, c => c));

    /// <summary>Asserts both datasets hold the same numbers and bit-identical frames for every camera.</summary>
    public static void AssertSameFrames(DemonstrationDataset expected, DemonstrationDataset actual)
    {
        DatasetFixtures.AssertSameDataset(expected, actual);
        Assert.Equal(expected.ImageFeatures, actual.ImageFeatures);
        for (int e = 0; e < expected.Episodes.Count; e++)
        {
            foreach (var (name, frames) in expected.Episodes[e].Images)
            {
                IImageFrames read = actual.Episodes[e].Images[name];
                Assert.Equal(frames.Count, read.Count);
                var a = new byte[frames.Feature.FrameBytes];
                var b = new byte[frames.Feature.FrameBytes];
                for (int t = 0; t < frames.Count; t++)
                {
                    frames.CopyFrame(t, a);
                    read.CopyFrame(t, b);
                    Assert.True(a.AsSpan().SequenceEqual(b), $"episode {e}, camera {name}, frame {t} differs after the round trip");
                }
            }
        }
    }
}
