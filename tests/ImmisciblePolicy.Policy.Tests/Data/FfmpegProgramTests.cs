using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

/// <summary>Tests that change IMMISCIBLE_FFMPEG run alone: the variable is process-wide.</summary>
[CollectionDefinition(nameof(FfmpegProgramTests), DisableParallelization = true)]
public sealed class FfmpegEnvironmentCollection;

[Collection(nameof(FfmpegProgramTests))]
public sealed class FfmpegProgramTests : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task Read_WithTheVariablePointingAtNoProgram_FailsNamingTheVariableTheFeatureAndTheProgram()
    {
        string root = scratch.Combine("video");
        await new LeRobotDatasetWriter(new LeRobotWriterOptions { Video = VideoEncoding.For("libx264") })
            .WriteAsync(RenderedFrames.MakeDataset(2), root);

        var error = await WithVariable("/nonexistent/ffmpeg", () => Assert.ThrowsAsync<FileNotFoundException>(() => LeRobotDatasetReader.ReadAsync(root)));

        Assert.Contains("IMMISCIBLE_FFMPEG", error.Message, StringComparison.Ordinal);
        Assert.Contains("'/nonexistent/ffmpeg'", error.Message, StringComparison.Ordinal);
        Assert.Contains("video feature 'observation.image'", error.Message, StringComparison.Ordinal);
        Assert.Equal("/nonexistent/ffmpeg", error.FileName);
    }

    [Fact]
    public async Task Locate_PrefersTheConfiguredPath_ThenTheVariable_ThenPath()
    {
        string ffmpeg = FfmpegProgram.Locate(null, "test").Path;
        Assert.True(File.Exists(ffmpeg));

        // A bare command name in the variable is looked up on PATH; a configured path wins over the variable.
        Assert.Equal(ffmpeg, await WithVariable("ffmpeg", () => Task.FromResult(FfmpegProgram.Locate(null, "test").Path)));
        Assert.Equal(ffmpeg, await WithVariable("/nonexistent/ffmpeg", () => Task.FromResult(FfmpegProgram.Locate(ffmpeg, "test").Path)));
        var error = Assert.Throws<FileNotFoundException>(() => FfmpegProgram.Locate("no-such-ffmpeg-program", "decoding 'cam'"));
        Assert.StartsWith("decoding 'cam' needs the 'ffmpeg' program", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HasEncoder_ListsWhatThisFfmpegCanEncode()
    {
        FfmpegProgram ffmpeg = FfmpegProgram.Locate(null, "test");
        Assert.True(ffmpeg.HasEncoder("libx264"), "Debian's ffmpeg encodes H.264 with libx264");
        Assert.True(ffmpeg.HasEncoder("libsvtav1"), "Debian's ffmpeg 5.1 encodes AV1 with SVT-AV1, LeRobot's default");
        Assert.False(ffmpeg.HasEncoder("no-such-encoder"));
    }

    private static async Task<T> WithVariable<T>(string value, Func<Task<T>> body)
    {
        string? previous = Environment.GetEnvironmentVariable(FfmpegProgram.ProgramVariable);
        Environment.SetEnvironmentVariable(FfmpegProgram.ProgramVariable, value);
        try
        {
            return await body();
        }
        finally
        {
            Environment.SetEnvironmentVariable(FfmpegProgram.ProgramVariable, previous);
        }
    }
}
