using ImmisciblePolicy.Robotics;

namespace ImmisciblePolicy.Study;

/// <summary>The trained tasks of the study. In-painting is scored on the Fashion-MNIST pixel models (see <see cref="StudyMetrics"/>).</summary>
public enum StudyTaskKind
{
    /// <summary>Push-T Diffusion Policy (own simulator, scripted demonstrations); metric: score = mean max reward.</summary>
    PushT,
    /// <summary>The bimodal reaching task; metrics: score, per-mode frequencies, total-variation distance to uniform.</summary>
    Bimodal,
    /// <summary>
    /// Push-T on the Chipmunk physics with multimodal demonstrations (clockwise / counter-clockwise turns, mix from
    /// <see cref="TaskBudget.ModeMix"/>), keypoint observations; metrics: score, success, per-mode shares, TV to the demonstrations' mix.
    /// </summary>
    PushTMultimodal,
    /// <summary>The bimodal reaching task with an unequal left/right demonstration mix (<see cref="TaskBudget.ModeMix"/>); metrics as <see cref="PushTMultimodal"/>.</summary>
    BimodalSkewed,
    /// <summary>Class-conditional Fashion-MNIST generation in pixel space; metrics: Fréchet distance, in-painting Fréchet distance.</summary>
    FashionMnist,
    /// <summary>The same in the latent space of a small autoencoder, noise paired on latents.</summary>
    FashionMnistLatent,
}

/// <summary>Ids and kinds of <see cref="StudyTaskKind"/>.</summary>
public static class StudyTasks
{
    /// <summary>The id used in cell names and on the command line.</summary>
    public static string Id(StudyTaskKind task) => task switch
    {
        StudyTaskKind.PushT => "pusht",
        StudyTaskKind.Bimodal => "bimodal",
        StudyTaskKind.FashionMnist => "fmnist",
        StudyTaskKind.FashionMnistLatent => "fmnist-latent",
        StudyTaskKind.PushTMultimodal => "pusht-mm",
        StudyTaskKind.BimodalSkewed => "bimodal-skew",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown study task"),
    };

    /// <summary>Parses an id of <see cref="Id"/>; the error lists the known ids.</summary>
    public static StudyTaskKind Parse(string id) =>
        Enum.GetValues<StudyTaskKind>().Cast<StudyTaskKind?>().FirstOrDefault(t => string.Equals(Id(t!.Value), id, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown study task '{id}': expected one of {string.Join(", ", Enum.GetValues<StudyTaskKind>().Select(Id))}", nameof(id));

    /// <summary>True for the robot-policy tasks.</summary>
    public static bool IsPolicy(StudyTaskKind task) =>
        task is StudyTaskKind.PushT or StudyTaskKind.Bimodal or StudyTaskKind.PushTMultimodal or StudyTaskKind.BimodalSkewed;

    /// <summary>The simulator task of a policy task.</summary>
    public static SimTaskKind SimTask(StudyTaskKind task) => task switch
    {
        StudyTaskKind.PushT or StudyTaskKind.PushTMultimodal => SimTaskKind.PushT,
        StudyTaskKind.Bimodal or StudyTaskKind.BimodalSkewed => SimTaskKind.Bimodal,
        _ => throw new ArgumentException($"{Id(task)} is not a policy task", nameof(task)),
    };
}
