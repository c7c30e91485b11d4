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
/// expert that alternates sides so both modes are equally represented.
/// </summary>
public static class DemonstrationGenerator
{
    /// <summary>Runs <paramref name="episodes"/> expert episodes with seeds firstSeed, firstSeed+1, ...</summary>
    /// <param name="onlySuccessful">keep only the episodes that succeeded (the dataset may then hold fewer).</param>
    /// <param name="progress">called after each episode with (done, total).</param>
    /// <param name="imageSize">when set, record the pixel observation instead of the task's state vector: observation.state
    /// = agent position and observation.image = the rendered scene at imageSize x imageSize (<see cref="PixelObservations"/>).
    /// Frames are kept raw in memory (InMemoryImageFrames): 200 Push-T episodes of about 125 frames are 0.7 GB at 96 x 96
    /// and 0.17 GB at 48 x 48, which a 24 GB machine holds; raw frames cost nothing to read in the training loop.</param>
    public static DemonstrationReport Generate(SimTaskKind task, int episodes, long firstSeed = 0, bool onlySuccessful = false,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default, int? imageSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        var kept = new Episode?[episodes];
        var success = new bool[episodes];
        var finalScore = new double[episodes];
        int done = 0;
        var watch = Stopwatch.StartNew();
        // Episodes are independent and the experts are pure C#: run them on all cores.
        Parallel.For(0, episodes, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var (episode, ok, score) = Record(task, firstSeed + i, i, imageSize);
            success[i] = ok;
            finalScore[i] = score;
            if (ok || !onlySuccessful) kept[i] = episode;
            progress?.Invoke(Interlocked.Increment(ref done), episodes);
        });
        var list = kept.Where(e => e is not null).Select(e => e!).ToList();
        if (list.Count == 0)
            throw new InvalidOperationException($"the {task} expert succeeded in none of {episodes} episodes; nothing to keep");
        var dataset = new DemonstrationDataset(list, fps: 10, imageSize is null ? SimTasks.ObservationNames(task) : PixelObservations.StateNames, SimTasks.ActionNames,
            [SimTasks.Description(task)], robotType: task == SimTaskKind.PushT ? "pusht-sim" : "bimodal-reach-sim");
        return new DemonstrationReport(dataset, success.Average(s => s ? 1.0 : 0.0), watch.Elapsed.TotalSeconds / episodes, finalScore.Average());
    }

    private static (Episode Episode, bool Success, double FinalScore) Record(SimTaskKind task, long seed, int index, int? imageSize)
    {
        var env = SimTasks.Create(task);
        env.Reset(seed);
        ExpertEpisode run = env switch
        {
            PushTEnv pusht => new PushTExpert().Run(pusht),
            // Alternate sides so both modes are equally represented.
            BimodalReachEnv reach => new BimodalReachExpert(reach.Config, BimodalReachExpert.SideForEpisode(index), unchecked((int)seed)).Run(reach),
            _ => throw new ArgumentOutOfRangeException(nameof(task), task, "no expert for this task"),
        };
        int n = run.Actions.Count;
        var successes = new bool[n];
        var dones = new bool[n];
        successes[n - 1] = run.Success;   // the success signal belongs to the frame whose action achieved it
        dones[n - 1] = true;
        var states = run.Observations.Select(ToFloat).ToList();
        IReadOnlyDictionary<string, IImageFrames>? images = null;
        if (imageSize is int size)
        {
            // Replay the recorded actions from the same reset (the simulation is deterministic) and observe pixels.
            var camera = PixelObservations.Camera(size);
            var replay = SimTasks.Create(task);
            replay.Reset(seed);
            var frames = new List<byte[]>(n);
            states = new List<float[]>(n);
            for (int t = 0; t < n; t++)
            {
                if (!replay.Observe().AsSpan().SequenceEqual(run.Observations[t]))
                    throw new InvalidOperationException($"{task} seed {seed}: replaying the expert's actions diverged at frame {t}");
                var obs = PixelObservations.Observe(replay, [camera]);
                states.Add(ToFloat(obs.State));
                frames.Add(obs.Images[0].Pixels);
                replay.Step(run.Actions[t]);
            }
            images = new Dictionary<string, IImageFrames> { [camera.Name] = new InMemoryImageFrames(camera, frames) };
        }
        var episode = Episode.FromFrames(states, run.Actions.Select(ToFloat).ToList(), 10,
            run.Rewards.Select(r => (float)r).ToArray(), successes, dones, images: images);
        return (episode, run.Success, run.FinalScore);
    }

    private static float[] ToFloat(double[] v) => Array.ConvertAll(v, x => (float)x);
}
