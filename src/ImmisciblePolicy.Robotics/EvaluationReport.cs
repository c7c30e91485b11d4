using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// How an <see cref="EvaluationResult"/> is written for people and programs: the Markdown table <c>immiscible eval</c>
/// prints (score, success rate, then the mode table) and the eval.json document.
/// </summary>
public static class EvaluationReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The metrics table as Markdown, with the mode table below it.</summary>
    public static string Markdown(EvaluationResult r, string label)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"| policy | episodes | score (DP: mean max reward) | success rate (LeRobot) | avg max {(r.Task == SimTaskKind.PushT ? "coverage" : "progress")} | plan ms/episode p50 |");
        sb.AppendLine("|---|---|---|---|---|---|");
        sb.AppendLine(Inv, $"| {label} | {r.Episodes.Count} | {r.Score:F3} | {r.SuccessRate:P1} | {r.AverageMaxScore:F3} | {r.PlanMillisecondsP50:F1} |");
        sb.AppendLine();
        sb.Append(ModesMarkdown(r));
        return sb.ToString();
    }

    /// <summary>One line: each mode's share of the rollouts and the total-variation distances.</summary>
    public static string ModesLine(EvaluationResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return string.Join(", ", r.ModeTable.Select(f => string.Create(Inv, $"{f.Mode} {f.Share:P0}"))) +
               string.Create(Inv, $"; TV to uniform {r.ModeTotalVariation:F3}") +
               (double.IsNaN(r.ModeTotalVariationToDemonstrations) ? "" : string.Create(Inv, $", TV to demonstrations {r.ModeTotalVariationToDemonstrations:F3}"));
    }

    /// <summary>
    /// The mode table: per mode (and unclassified) the rollouts, their share with its 95 % Wilson interval and the
    /// demonstrations' share, then the total-variation distances among classified rollouts to the demonstrations' mix
    /// ("Immiscible Diffusion Policy") and to uniform, with 95 % intervals.
    /// </summary>
    public static string ModesMarkdown(EvaluationResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        var demo = r.DemonstrationMix();
        sb.AppendLine("| mode | rollouts | share | 95 % interval (Wilson) | demonstrations |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var (f, i) in r.ModeTable.Select((f, i) => (f, i)))
        {
            string d = demo is not null && i < demo.Length ? demo[i].ToString("P1", Inv) : "";
            sb.AppendLine(Inv, $"| {f.Mode} | {f.Count} | {f.Share:P1} | {f.Interval.Low:P1} - {f.Interval.High:P1} | {d} |");
        }
        sb.AppendLine();
        sb.Append(Inv, $"Total-variation distance of the mode histogram ({r.ClassifiedEpisodes} classified rollouts): ");
        if (demo is not null)
            sb.Append(Inv, $"to the demonstrations' mix {Distance(r.ModeTotalVariationToDemonstrations, r.ModeTotalVariationToDemonstrationsInterval)}, ");
        sb.AppendLine(Inv, $"to uniform {Distance(r.ModeTotalVariation, r.ModeTotalVariationInterval)}.");
        return sb.ToString();
    }

    /// <summary>The mode metrics as an object for eval.json / sim.json (NaN becomes null).</summary>
    public static object ModesJson(EvaluationResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new
        {
            names = r.ModeNames,
            unclassified = TaskModes.Unclassified,
            classifiedEpisodes = r.ClassifiedEpisodes,
            shares = r.ModeTable.ToDictionary(f => f.Mode, f => new { count = f.Count, share = f.Share, ci95 = Interval(f.Interval) }),
            demonstrationMix = r.DemonstrationModes?.ToDictionary(m => m.Mode, m => m.Share),
            totalVariationToDemonstrations = Finite(r.ModeTotalVariationToDemonstrations),
            totalVariationToDemonstrationsCi95 = Interval(r.ModeTotalVariationToDemonstrationsInterval),
            totalVariationToUniform = Finite(r.ModeTotalVariation),
            totalVariationToUniformCi95 = Interval(r.ModeTotalVariationInterval),
        };
    }

    /// <summary>The eval.json document: scores, the observation layout, the mode metrics and every episode.</summary>
    public static string Json(EvaluationResult r, string label)
    {
        ArgumentNullException.ThrowIfNull(r);
        return JsonSerializer.Serialize(new
        {
            label,
            task = r.Task.ToString(),
            observation = r.Task == SimTaskKind.PushT ? r.Observation.ToString() : null,
            episodes = r.Episodes.Count,
            score = r.Score,
            successRate = r.SuccessRate,
            successRateCi95 = Interval(ProportionInterval.Wilson(r.Episodes.Count(e => e.Success), r.Episodes.Count)),
            averageMaxScore = r.AverageMaxScore,
            modes = ModesJson(r),
            planMsP50 = r.PlanMillisecondsP50,
            planMsP95 = r.PlanMillisecondsP95,
            perEpisode = r.Episodes,
        }, Indented);
    }

    private static string Distance(double v, ProportionInterval? ci) =>
        double.IsNaN(v) ? "n/a" : ci is { } c ? string.Create(Inv, $"{v:F3} (95 % {c.Low:F3} - {c.High:F3})") : v.ToString("F3", Inv);

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static object? Interval(ProportionInterval? ci) => ci is { } c ? new { low = c.Low, high = c.High } : null;
}
