using System.Diagnostics;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics;

/// <summary>How the expert did in one solution mode.</summary>
/// <param name="Mode">the mode name (<see cref="TaskModes.Names"/>).</param>
/// <param name="Episodes">episodes the expert was asked to solve in this mode.</param>
/// <param name="SuccessRate">fraction of them that met the task's success criterion.</param>
/// <param name="ClassifierAgreement">fraction of them to which the rollout classifier, shown only the recorded observations,
/// gives this same mode (<see cref="TaskModes.Classify"/>).</param>
public sealed record ModeReport(string Mode, int Episodes, double SuccessRate, double ClassifierAgreement);

/// <summary>What a demonstration run produced and how well the expert did.</summary>
/// <param name="Dataset">the recorded episodes.</param>
/// <param name="SuccessRate">fraction of episodes that met the task's success criterion.</param>
/// <param name="SecondsPerEpisode">wall-clock time of the run divided by the episodes (episodes run in parallel on all cores).</param>
/// <param name="MeanFinalScore">mean of the last step's score (coverage for Push-T).</param>
/// <param name="Modes">per solution mode, when the demonstrations are labelled; empty otherwise.</param>
public sealed record DemonstrationReport(DemonstrationDataset Dataset, double SuccessRate, double SecondsPerEpisode, double MeanFinalScore,
    IReadOnlyList<ModeReport> Modes)
{
    /// <summary>Episodes recorded per wall-clock second.</summary>
    public double EpisodesPerSecond => SecondsPerEpisode > 0 ? 1 / SecondsPerEpisode : double.PositiveInfinity;
}

/// <summary>
/// Records demonstrations from the scripted experts: Push-T's planning expert, which by default turns the T clockwise
/// or counter-clockwise per episode (a bimodal demonstration set with recorded mode labels), and for the bimodal task an
/// expert that alternates sides so both modes are equally represented. With a camera feature, every observation
/// also gets the frame a <see cref="SceneCamera"/> renders of the scene at that moment, kept PNG-compressed
/// (<see cref="PngImageFrames"/>) so a few hundred episodes of 96 x 96 frames stay small in memory.
/// </summary>
public static class DemonstrationGenerator
{
    /// <summary>Runs <paramref name="episodes"/> expert episodes with seeds firstSeed, firstSeed+1, ...</summary>
    /// <param name="onlySuccessful">keep only the episodes that succeeded (the dataset may then hold fewer).</param>
    /// <param name="progress">called after each episode with (done, total).</param>
    /// <param name="options">observation layout, Push-T mode mix and variability; default <see cref="DemonstrationOptions"/>.</param>
    /// <param name="camera">record frames of this camera feature (e.g. <see cref="SceneCameras.PushT"/>); null for state only.</param>
    /// <param name="imageSize">when set, record the pixel observation instead of the task's state vector (a vision
    /// policy's training data): observation.state = agent position and observation.image = gym-pusht's render at
    /// imageSize x imageSize (<see cref="PixelObservations"/>), captured as each observation is recorded, frames raw in
    /// memory (0.17 GB for 200 Push-T episodes at 48 x 48); <paramref name="camera"/> is then ignored. Modes, mix and
    /// variability work as for state demonstrations.</param>
    /// <param name="render">the renderer behind <paramref name="camera"/>; null for <see cref="PixelObservations.Render"/>
    /// (the observation image a vision policy sees in closed loop; <see cref="SceneCameras.Render"/> draws the scene view).</param>
    public static DemonstrationReport Generate(SimTaskKind task, int episodes, long firstSeed = 0, bool onlySuccessful = false,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default, DemonstrationOptions? options = null,
        ImageFeature? camera = null, SceneCamera? render = null, int? imageSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        options ??= new DemonstrationOptions();
        options.Validate();
        camera?.Validate();
        render ??= PixelObservations.Render;
        bool labelled = task == SimTaskKind.Bimodal || options.ModeMix is not null;
        var records = new EpisodeRecord[episodes];
        int done = 0;
        var watch = Stopwatch.StartNew();
        // Episodes are independent and the experts are pure C#: run them on all cores.
        Parallel.For(0, episodes, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            records[i] = Record(task, firstSeed + i, i, options, labelled, camera, render, imageSize);
            progress?.Invoke(Interlocked.Increment(ref done), episodes);
        });
        double seconds = watch.Elapsed.TotalSeconds;
        var list = records.Where(r => r.Success || !onlySuccessful).Select(r => r.Episode).ToList();
        if (list.Count == 0)
            throw new InvalidOperationException($"the {task} expert succeeded in none of {episodes} episodes; nothing to keep");
        var names = TaskModes.Names(task);
        var dataset = new DemonstrationDataset(list, fps: 10, (imageSize is null ? SimTasks.ObservationNames(task, options.Observation) : PixelObservations.StateNames), SimTasks.ActionNames,
            [SimTasks.Description(task)], robotType: task == SimTaskKind.PushT ? "pusht-sim" : "bimodal-reach-sim",
            environmentStateDim: imageSize is null ? SimTasks.EnvironmentStateDim(task, options.Observation) : 0, modeNames: labelled ? names : null);
        var modes = labelled
            ? names.Select((name, m) => records.Where(r => r.Episode.Mode == m).ToArray())
                .Select((group, m) => new ModeReport(names[m], group.Length,
                    group.Length == 0 ? double.NaN : group.Average(r => r.Success ? 1.0 : 0.0),
                    group.Length == 0 ? double.NaN : group.Average(r => r.Classified == names[m] ? 1.0 : 0.0)))
                .ToArray()
            : [];
        return new DemonstrationReport(dataset, records.Average(r => r.Success ? 1.0 : 0.0), seconds / episodes,
            records.Average(r => r.FinalScore), modes);
    }

    /// <summary>
    /// The Push-T mode of the episode reset with <paramref name="seed"/> for a clockwise share <paramref name="mix"/>: a
    /// uniform draw from a SplitMix64 hash of the seed, clockwise below the mix. Independent of the episode's initial state
    /// (which numpy's RandomState draws from the same seed), so both modes occur from every kind of start.
    /// </summary>
    public static PushTMode PushTModeFor(long seed, double mix)
    {
        if (!(mix >= 0 && mix <= 1)) throw new ArgumentOutOfRangeException(nameof(mix), mix, "expected a clockwise share in [0, 1]");
        ulong z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        double u = (z >> 11) * (1.0 / (1UL << 53));
        return u < mix ? PushTMode.Clockwise : PushTMode.CounterClockwise;
    }

    /// <summary>
    /// The bimodal side of episode <paramref name="index"/> for a left share <paramref name="mix"/>: at 0.5 the
    /// alternation of <see cref="BimodalReachExpert.SideForEpisode"/>; otherwise episode i goes left exactly when
    /// floor((i + 1) mix) &gt; floor(i mix), so every prefix of n episodes holds floor(n mix) or floor(n mix) + 1 left
    /// ones (exact proportions, interleaved, no randomness: a small dataset gets the mix it asked for).
    /// </summary>
    public static ReachMode BimodalSideFor(int index, double mix)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (!(mix >= 0 && mix <= 1)) throw new ArgumentOutOfRangeException(nameof(mix), mix, "expected a left share in [0, 1]");
        if (mix == 0.5) return BimodalReachExpert.SideForEpisode(index);
        return Math.Floor((index + 1) * mix) > Math.Floor(index * mix) ? ReachMode.Left : ReachMode.Right;
    }

    private sealed record EpisodeRecord(Episode Episode, bool Success, double FinalScore, string? Classified);

    private static EpisodeRecord Record(SimTaskKind task, long seed, int index, DemonstrationOptions options, bool labelled,
        ImageFeature? camera, SceneCamera render, int? imageSize)
    {
        var env = SimTasks.Create(task, options.Observation);
        env.Reset(seed);
        var pngs = new List<byte[]>();
        byte[] frame = camera is null ? [] : new byte[camera.FrameBytes];
        Action<ISimTask>? observed = camera is null ? null : scene =>
        {
            render(scene, camera, frame);
            pngs.Add(PngCodec.Encode(camera, frame));
        };
        // A vision policy's observation instead of the task's state vector: agent position + gym-pusht's render, taken
        // at the moment each observation is recorded (before its action), kept raw in memory (0.17 GB for 200 Push-T
        // episodes at 48 x 48).
        ImageFeature? pixelCamera = imageSize is int size ? PixelObservations.Camera(size) : null;
        var pixelStates = new List<float[]>();
        var pixelFrames = new List<byte[]>();
        if (pixelCamera is not null)
        {
            observed = scene =>
            {
                var obs = PixelObservations.Observe(scene, [pixelCamera]);
                pixelStates.Add(ToFloat(obs.State));
                pixelFrames.Add(obs.Images[0].Pixels);
            };
        }
        int? mode = null;
        ExpertEpisode run;
        switch (env)
        {
            case PushTEnv pusht when options.ModeMix is double mix:
                var pushtMode = PushTModeFor(seed, mix);
                mode = TaskModes.Names(task).ToList().IndexOf(TaskModes.Name(pushtMode));
                run = new PushTExpert(PushTExpertConfig.Multimodal).Run(pusht, pushtMode, options.Human, seed, observed);
                break;
            case PushTEnv pusht:
                run = new PushTExpert().Run(pusht, PushTMode.None, options.Human, seed, observed);
                break;
            case BimodalReachEnv reach:
                // Half and half: alternate sides so both modes are equally represented; any other mix: exact proportions.
                var side = BimodalSideFor(index, options.ModeMix ?? 0.5);
                mode = TaskModes.Names(task).ToList().IndexOf(TaskModes.Name(side));
                run = new BimodalReachExpert(reach.Config, side, unchecked((int)seed)).Run(reach, observed);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "no expert for this task");
        }
        var images = pixelCamera is not null
            ? new Dictionary<string, IImageFrames> { [pixelCamera.Name] = new InMemoryImageFrames(pixelCamera, pixelFrames) }
            : camera is null ? null : new Dictionary<string, IImageFrames> { [camera.Name] = new PngImageFrames(camera, pngs, $"{task} episode {index}") };
        int n = run.Actions.Count;
        var successes = new bool[n];
        var dones = new bool[n];
        successes[n - 1] = run.Success;   // the success signal belongs to the frame whose action achieved it
        dones[n - 1] = true;
        var states = pixelCamera is not null ? pixelStates : run.Observations.Select(ToFloat).ToList();
        var episode = Episode.FromFrames(states, run.Actions.Select(ToFloat).ToList(), 10,
            run.Rewards.Select(r => (float)r).ToArray(), successes, dones, images: images, mode: labelled ? mode : null);
        // What the rollout classifier makes of the recorded observations (plus the final one), as it would of a policy's.
        var seen = run.Observations.Append(env.Observe()).ToArray();
        string? classified = !labelled ? null : env switch
        {
            PushTEnv => TaskModes.Name(PushTModeClassifier.Classify(seen, options.Observation)),
            _ => TaskModes.Classify(task, seen.Select(o => new Vec2(o[0], o[1])).ToArray(), []),
        };
        return new EpisodeRecord(episode, run.Success, run.FinalScore, classified);
    }

    private static float[] ToFloat(double[] v) => Array.ConvertAll(v, x => (float)x);
}
