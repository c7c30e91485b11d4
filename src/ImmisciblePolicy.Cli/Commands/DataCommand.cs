using System.CommandLine;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Robotics;

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
        var images = new Option<bool>("--images")
        {
            Description = "also record the rendered scene as observation.image (LeRobot image feature: PNG frames in the data files)",
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
            task, episodes, output, seed, onlySuccess, images, video, imageSize, codec,
        };
        generate.SetAction(async (parse, ct) =>
        {
            var kind = SimTasks.Parse(parse.GetValue(task)!);
            bool asVideo = parse.GetValue(video);
            ImageFeature? camera = asVideo || parse.GetValue(images) ? SceneCameras.Square(parse.GetValue(imageSize)) : null;
            VideoEncoding? encoding = asVideo ? VideoEncoding.For(parse.GetValue(codec)!) : null;
            var report = await GenerateAsync(kind, parse.GetValue(episodes), parse.GetValue(output)!, parse.GetValue(seed),
                parse.GetValue(onlySuccess), ct, camera, encoding);
            return report.Dataset.Episodes.Count > 0 ? 0 : 1;
        });
        return new Command("data", "Demonstration datasets.") { generate };
    }

    /// <summary>Generates and writes a dataset, printing the expert's success rate and speed.</summary>
    /// <param name="camera">record rendered frames of this camera feature; null for state only.</param>
    /// <param name="video">write the camera as a video feature with these settings; null for PNG image cells.</param>
    public static async Task<DemonstrationReport> GenerateAsync(SimTaskKind kind, int episodes, string output, long seed, bool onlySuccessful,
        CancellationToken ct, ImageFeature? camera = null, VideoEncoding? video = null)
    {
        string cameraText = camera is null ? "" : $" with {camera.Height} x {camera.Width} '{camera.Name}' frames{(video is null ? "" : $" ({video.Codec} video)")}";
        Console.WriteLine($"Recording {episodes} {kind} expert episodes (seeds {seed}..{seed + episodes - 1}){cameraText} ...");
        var report = DemonstrationGenerator.Generate(kind, episodes, seed, onlySuccessful, CommonOptions.Counter("episodes"), ct, camera);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await new LeRobotDatasetWriter(new LeRobotWriterOptions { Overwrite = true, Video = video }).WriteAsync(report.Dataset, output, ct);
        Console.WriteLine($"Expert success rate {report.SuccessRate:P1}, mean final score {report.MeanFinalScore:F3}, " +
                          $"{report.SecondsPerEpisode:F2} s/episode; kept {report.Dataset.Episodes.Count} episodes, " +
                          $"{report.Dataset.TotalFrames} frames -> {output} (written in {watch.Elapsed.TotalSeconds:F1} s)");
        return report;
    }
}
