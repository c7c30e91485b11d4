namespace ImmisciblePolicy.Study;

/// <summary>A metric the report tabulates and plots: which task's cells carry it, its key in <see cref="CurvePoint.Metrics"/>, and its direction.</summary>
public sealed record StudyMetric(string TaskId, string Key, string Title, bool HigherIsBetter)
{
    /// <summary>True when <paramref name="candidate"/> is at least as good as <paramref name="target"/>.</summary>
    public bool Reaches(double candidate, double target) => HigherIsBetter ? candidate >= target : candidate <= target;

    /// <summary>The better of two values.</summary>
    public double Better(double a, double b) => HigherIsBetter ? Math.Max(a, b) : Math.Min(a, b);

    /// <summary>File-name stem of the metric's plots.</summary>
    public string Slug => $"{TaskId}-{Key}".Replace('_', '-');
}

/// <summary>Metric keys written by the cells and the headline metric of each task.</summary>
public static class StudyMetrics
{
    /// <summary>Policy: mean over test episodes of the max reward (Diffusion Policy's score).</summary>
    public const string Score = "score";
    /// <summary>Policy: share of successful episodes.</summary>
    public const string Success = "success";
    /// <summary>Bimodal: total-variation distance between the Left/Right histogram and uniform (0 balanced, 0.5 one mode).</summary>
    public const string ModeTv = "mode_tv";
    /// <summary>Bimodal: share of episodes per mode.</summary>
    public const string ModeLeft = "mode_left", ModeRight = "mode_right", ModeNone = "mode_none";
    /// <summary>Images: Fréchet distance of generated samples in the metric classifier's feature space.</summary>
    public const string Fd = "fd";

    /// <summary>Total-variation distance of the classified rollouts' mode mix to the demonstrations' mix.</summary>
    public const string ModeTvDemo = "mode_tv_demo";

    /// <summary>The key of a mode's share of all test episodes ("mode:clockwise", "mode:none").</summary>
    public static string ModeShare(string mode) => "mode:" + mode;

    /// <summary>The key of a mode's share of the demonstrations ("demo:clockwise"), stored with every scored point.</summary>
    public static string DemonstrationShare(string mode) => "demo:" + mode;
    /// <summary>Images: share of class-conditional samples the classifier puts in their class.</summary>
    public const string ClassAccuracy = "class_acc";
    /// <summary>Pixel images: Fréchet distance of test images whose centre 14 x 14 was in-painted.</summary>
    public const string InpaintFd = "inpaint_fd";
    /// <summary>Pixel images: mean squared error of the in-painted region against the original pixels.</summary>
    public const string InpaintMse = "inpaint_mse";

    /// <summary>The headline metrics, one table and one plot each.</summary>
    public static IReadOnlyList<StudyMetric> Headline { get; } =
    [
        new("pusht", Score, "Push-T score (mean max coverage reward)", true),
        new("bimodal", Score, "bimodal reach score", true),
        new("pusht-mm", Score, "multimodal Push-T (Chipmunk physics, keypoints): DP score (mean max coverage reward)", true),
        new("pusht-mm", Success, "multimodal Push-T: success rate (coverage > 0.95)", true),
        new("pusht-mm", ModeTvDemo, "multimodal Push-T: TV distance of the rollouts' mode mix to the demonstrations'", false),
        new("bimodal-skew", Score, "bimodal reach, unequal demonstration mix: score", true),
        new("bimodal-skew", ModeTvDemo, "bimodal reach, unequal mix: TV distance of the rollouts' mode mix to the demonstrations'", false),
        new("fmnist", Fd, "Fashion-MNIST pixel generation, Fréchet distance", false),
        new("fmnist", InpaintFd, "Fashion-MNIST in-painting (centre 14x14), Fréchet distance", false),
        new("fmnist-latent", Fd, "Fashion-MNIST latent generation, Fréchet distance", false),
    ];
}
