using System.Diagnostics;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics;

/// <summary>What a demonstration run produced and how well the expert did.</summary>
/// <param name="Dataset">the recorded episodes.</param>
/// <param name="SuccessRate">fraction of episodes that met the task's success criterion.</param>
/// <param name="SecondsPerEpisode">mean wall-clock time per episode.</param>
/// <param name="MeanFinalScore">mean of the last step's score (coverage for Push-T).</param>
public sealed record DemonstrationReport(DemonstrationDataset Dataset, double SuccessRate, double SecondsPerEpisode, double MeanFinalScore);

/// <summary>
/// Records demonstrations from the scripted experts: Push-T's planning expert, and for the bimodal task an
/// expert that alternates sides so both modes are equally represented. With a camera feature, every observation
/// also gets the frame a <see cref="SceneCamera"/> renders of the scene at that moment, kept PNG-compressed
/// (<see cref="PngImageFrames"/>) so a few hundred episodes of 96 x 96 frames stay small in memory.
/// </summary>
public static class DemonstrationGenerator
{
    /// <summary>Runs <paramref name="episodes"/> expert episodes with seeds firstSeed, firstSeed+1, ...</summary>
    /// <param name="onlySuccessful">keep only the episodes that succeeded (the dataset may then hold fewer).</param>
    /// <param name="progress">called after each episode with (done, total).</param>
    /// <param name="camera">record frames of this camera feature (e.g. <see cref="SceneCameras.PushT"/>); null for state only.</param>
    /// <param name="imageSize">when set, record the pixel observation instead of the task's state vector (a vision
    /// policy's training data): observation.state = agent position and observation.image = gym-pusht's render at
    /// imageSize x imageSize (<see cref="PixelObservations"/>), frames raw in memory (0.17 GB for 200 Push-T
    /// episodes at 48 x 48); <paramref name="camera"/> is then ignored.</param>
    /// <param name="render">the renderer behind <paramref name="camera"/>; null for <see cref="SceneCameras.Render"/>.</param>
    public static DemonstrationReport Generate(SimTaskKind task, int episodes, long firstSeed = 0, bool onlySuccessful = false,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default, ImageFeature? camera = null, SceneCamera? render = null,
        int? imageSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        camera?.Validate();
        render ??= SceneCameras.Render;
        var kept = new Episode?[episodes];
        var success = new bool[episodes];
        var finalScore = new double[episodes];
        int done = 0;
        var watch = Stopwatch.StartNew();
        // Episodes are independent and the experts are pure C#: run them on all cores.
        Parallel.For(0, episodes, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var (episode, ok, score) = imageSize is int size ? RecordPixels(task, firstSeed + i, i, size) : Record(task, firstSeed + i, i, camera, render);
            success[i] = ok;
            finalScore[i] = score;
            if (ok || !onlySuccessful) kept[i] = episode;
            progress?.Invoke(Interlocked.Increment(ref done), episodes);
        });
        var list = kept.Where(e => e is not null).Select(e => e!).ToList();
        if (list.Count == 0)
            throw new InvalidOperationException($"the {task} expert succeeded in none of {episodes} episodes; nothing to keep");
        var dataset = new DemonstrationDataset(list, fps: 10, (imageSize is null ? SimTasks.ObservationNames(task) : PixelObservations.StateNames), SimTasks.ActionNames,
            [SimTasks.Description(task)], robotType: task == SimTaskKind.PushT ? "pusht-sim" : "bimodal-reach-sim");
        return new DemonstrationReport(dataset, success.Average(s => s ? 1.0 : 0.0), watch.Elapsed.TotalSeconds / episodes, finalScore.Average());
    }

    private static (Episode Episode, bool Success, double FinalScore) Record(SimTaskKind task, long seed, int index, ImageFeature? camera, SceneCamera render)
    {
        var env = SimTasks.Create(task);
        env.Reset(seed);
        var pngs = new List<byte[]>();
        byte[] frame = camera is null ? [] : new byte[camera.FrameBytes];
        Action<ISimTask>? observed = camera is null ? null : scene =>
        {
            render(scene, camera, frame);
            pngs.Add(PngCodec.Encode(camera, frame));
        };
        ExpertEpisode run = env switch
        {
            PushTEnv pusht => new PushTExpert().Run(pusht, observed),
            // Alternate sides so both modes are equally represented.
            BimodalReachEnv reach => new BimodalReachExpert(reach.Config, BimodalReachExpert.SideForEpisode(index), unchecked((int)seed)).Run(reach, observed),
            _ => throw new ArgumentOutOfRangeException(nameof(task), task, "no expert for this task"),
        };
        var images = camera is null ? null : new Dictionary<string, IImageFrames> { [camera.Name] = new PngImageFrames(camera, pngs, $"{task} episode {index}") };
        int n = run.Actions.Count;
        var successes = new bool[n];
        var dones = new bool[n];
        successes[n - 1] = run.Success;   // the success signal belongs to the frame whose action achieved it
        dones[n - 1] = true;
        var episode = Episode.FromFrames(run.Observations.Select(ToFloat).ToList(), run.Actions.Select(ToFloat).ToList(), 10,
            run.Rewards.Select(r => (float)r).ToArray(), successes, dones, images: images);
        return (episode, run.Success, run.FinalScore);
    }

    /// <summary>The expert episode, then its actions replayed from the same reset (the simulation is deterministic)
    /// with the pixel observation recorded at every frame.</summary>
    private static (Episode Episode, bool Success, double FinalScore) RecordPixels(SimTaskKind task, long seed, int index, int size)
    {
        var env = SimTasks.Create(task);
        env.Reset(seed);
        ExpertEpisode run = env switch
        {
            PushTEnv pusht => new PushTExpert().Run(pusht),
            BimodalReachEnv reach => new BimodalReachExpert(reach.Config, BimodalReachExpert.SideForEpisode(index), unchecked((int)seed)).Run(reach),
            _ => throw new ArgumentOutOfRangeException(nameof(task), task, "no expert for this task"),
        };
        int n = run.Actions.Count;
        var successes = new bool[n];
        var dones = new bool[n];
        successes[n - 1] = run.Success;
        dones[n - 1] = true;
        var camera = PixelObservations.Camera(size);
        var replay = SimTasks.Create(task);
        replay.Reset(seed);
        var frames = new List<byte[]>(n);
        var states = new List<float[]>(n);
        for (int t = 0; t < n; t++)
        {
            if (!replay.Observe().AsSpan().SequenceEqual(run.Observations[t]))
                throw new InvalidOperationException($"{task} seed {seed}: replaying the expert's actions diverged at frame {t}");
            var obs = PixelObservations.Observe(replay, [camera]);
            states.Add(ToFloat(obs.State));
            frames.Add(obs.Images[0].Pixels);
            replay.Step(run.Actions[t]);
        }
        var images = new Dictionary<string, IImageFrames> { [camera.Name] = new InMemoryImageFrames(camera, frames) };
        var episode = Episode.FromFrames(states, run.Actions.Select(ToFloat).ToList(), 10,
            run.Rewards.Select(r => (float)r).ToArray(), successes, dones, images: images);
        return (episode, run.Success, run.FinalScore);
    }

    private static float[] ToFloat(double[] v) => Array.ConvertAll(v, x => (float)x);
}
