using System.CommandLine;
using System.Globalization;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary><c>immiscible data generate</c>: expert demonstrations written as a LeRobot v3 dataset.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var task = CommonOptions.Task();
        var episodes = new Option<int>("--episodes") { Description = "episodes to record", DefaultValueFactory = _ => 200 };
        var output = new Option<string>("--out") { Description = "dataset directory (LeRobot v3 layout)", Required = true };
        var seed = new Option<long>("--seed") { Description = "seed of the first episode", DefaultValueFactory = _ => 0L };
        var onlySuccess = new Option<bool>("--only-successful") { Description = "keep only episodes where the expert succeeded" };
        var obs = CommonOptions.Observation(
            "Push-T observations: keypoints (Diffusion Policy's 20 values, default), state (gym-pusht's 5) or env-state " +
            "(gym-pusht's environment_state_agent_pos: 16 block-corner values as observation.environment_state + agent_pos as observation.state)");
        var mix = new Option<double>("--mode-mix")
        {
            Description = "Push-T: share of episodes turning the T clockwise onto the goal angle (the rest counter-clockwise), drawn per episode from its seed; " +
                          "bimodal: share of episodes reaching the left target (exact proportions)",
            DefaultValueFactory = _ => 0.5,
        };
        var unimodal = new Option<bool>("--unimodal") { Description = "Push-T: the unimodal expert (always the shorter way, no mode labels)" };
        var human = new Option<bool>("--human-like") { Description = "Push-T: human-like variability (per-episode speeds, pauses, small corrections)" };
        var images = new Option<bool>("--images")
        {
            Description = "also record observation.image, the task's observation image (gym-pusht's pixels render, what a vision policy sees in eval; " +
                          "LeRobot image feature: PNG frames in the data files); train --data on it trains a vision policy on the agent position + frames",
        };
        var video = new Option<bool>("--video")
        {
            Description = "record observation.image as a LeRobot video feature (mp4 files encoded by ffmpeg); implies --images",
        };
        var imageSize = new Option<int>("--image-size") { Description = "camera frames are N x N RGB", DefaultValueFactory = _ => 96 };
        var codec = new Option<string>("--video-codec")
        {
            Description = "ffmpeg encoder for --video: libsvtav1 (LeRobot's default, AV1), libx264, libaom-av1 or libx265",
            DefaultValueFactory = _ => "libsvtav1",
        };
        var generate = new Command("generate", "Record scripted-expert demonstrations and write them as a LeRobot v3 dataset.")
        {
            task, episodes, output, seed, onlySuccess, obs, mix, unimodal, human, images, video, imageSize, codec,
        };
        generate.SetAction(async (parse, ct) =>
        {
            var kind = SimTasks.Parse(parse.GetValue(task)!);
            var options = new DemonstrationOptions
            {
                Observation = parse.GetValue(obs) is { } name ? SimTasks.ParseObservation(name) : SimTasks.DefaultObservation,
                ModeMix = parse.GetValue(unimodal) ? null : parse.GetValue(mix),
                Human = parse.GetValue(human) ? new HumanVariability() : null,
            };
            bool asVideo = parse.GetValue(video);
            ImageFeature? camera = asVideo || parse.GetValue(images) ? SceneCameras.Square(parse.GetValue(imageSize)) : null;
            VideoEncoding? encoding = asVideo ? VideoEncoding.For(parse.GetValue(codec)!) : null;
            var report = await GenerateAsync(kind, parse.GetValue(episodes), parse.GetValue(output)!, parse.GetValue(seed),
                parse.GetValue(onlySuccess), ct, options, camera, encoding);
            return report.Dataset.Episodes.Count > 0 ? 0 : 1;
        });
        return new Command("data", "Demonstration datasets.") { generate };
    }

    /// <summary>Generates and writes a dataset, printing the expert's success rate (per mode) and speed.</summary>
    /// <param name="camera">record rendered frames of this camera feature; null for state only.</param>
    /// <param name="video">write the camera as a video feature with these settings; null for PNG image cells.</param>
    public static async Task<DemonstrationReport> GenerateAsync(SimTaskKind kind, int episodes, string output, long seed, bool onlySuccessful,
        CancellationToken ct, DemonstrationOptions? options = null, ImageFeature? camera = null, VideoEncoding? video = null)
    {
        options ??= new DemonstrationOptions();
        string what = kind == SimTaskKind.PushT
            ? $", {options.Observation} observations, {(options.ModeMix is double m ? string.Create(CultureInfo.InvariantCulture, $"modes clockwise {m:P0} / counter-clockwise {1 - m:P0}") : "unimodal expert")}" +
              (options.Human is null ? "" : ", human-like variability")
            : "";
        string cameraText = camera is null ? "" : $", {camera.Height} x {camera.Width} '{camera.Name}' frames{(video is null ? "" : $" ({video.Codec} video)")}";
        Console.WriteLine($"Recording {episodes} {kind} expert episodes (seeds {seed}..{seed + episodes - 1}{what}{cameraText}) ...");
        var report = DemonstrationGenerator.Generate(kind, episodes, seed, onlySuccessful, CommonOptions.Counter("episodes"), ct, options, camera);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await new LeRobotDatasetWriter(new LeRobotWriterOptions { Overwrite = true, Video = video }).WriteAsync(report.Dataset, output, ct);
        Console.WriteLine($"Expert success rate {report.SuccessRate:P1}, mean final score {report.MeanFinalScore:F3}, " +
                          $"{report.EpisodesPerSecond:F2} episodes/s ({report.SecondsPerEpisode:F2} s/episode wall clock on {Environment.ProcessorCount} cores); " +
                          $"kept {report.Dataset.Episodes.Count} episodes, {report.Dataset.TotalFrames} frames -> {output} (written in {watch.Elapsed.TotalSeconds:F1} s)");
        foreach (var mode in report.Modes.Where(m => m.Episodes > 0))
            Console.WriteLine($"  mode {mode.Mode}: {mode.Episodes} episodes, expert success {mode.SuccessRate:P1}, rollout classifier agrees on {mode.ClassifierAgreement:P1}");
        return report;
    }
}
