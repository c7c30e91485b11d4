using SkiaSharp;

namespace ImmisciblePolicy.Study;

/// <summary>A minimal line chart written as PNG (loss curves, scores over training), drawn with SkiaSharp.</summary>
public static class LineChart
{
    /// <summary>Plots each series (name, points) on shared axes; <paramref name="logY"/> uses log10 of y.</summary>
    public static void WritePng(string path, string title, string xLabel, string yLabel,
        IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series, bool logY = false)
    {
        const int W = 800, H = 480, L = 70, R = 20, T = 40, B = 50;
        var colors = new[] { SKColors.Black, SKColors.SteelBlue, SKColors.OrangeRed, SKColors.SeaGreen, SKColors.MediumPurple, SKColors.Goldenrod, SKColors.DeepPink, SKColors.Teal };
        double Y(double y) => logY ? Math.Log10(Math.Max(y, 1e-12)) : y;
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y)).ToList();
        if (all.Count == 0) return;
        double x0 = all.Min(p => p.X), x1 = all.Max(p => p.X), y0 = all.Min(p => Y(p.Y)), y1 = all.Max(p => Y(p.Y));
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) y1 = y0 + 1;
        using var bitmap = new SKBitmap(W, H);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = true };
        using var font = new SKFont { Size = 14 };
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawLine(L, H - B, W - R, H - B, axis);
        canvas.DrawLine(L, T, L, H - B, axis);
        canvas.DrawText($"{title}   (y: {(logY ? "log10 " : "")}{yLabel})", L, T - 15, font, text);
        canvas.DrawText(xLabel, (W / 2) - 30, H - 12, font, text);
        for (int i = 0; i <= 4; i++)
        {
            double yv = y0 + ((y1 - y0) * i / 4);
            float py = (float)(H - B - ((H - T - B) * i / 4.0));
            canvas.DrawText(yv.ToString("G3", System.Globalization.CultureInfo.InvariantCulture), 5, py + 5, font, text);
            double xv = x0 + ((x1 - x0) * i / 4);
            float px = (float)(L + ((W - L - R) * i / 4.0));
            canvas.DrawText(xv.ToString(Math.Abs(x1) >= 1000 ? "N0" : "G4", System.Globalization.CultureInfo.InvariantCulture), px - 20, H - B + 18, font, text);
        }
        for (int s = 0; s < series.Count; s++)
        {
            using var pen = new SKPaint { Color = colors[s % colors.Length], StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var path2 = new SKPath();
            bool first = true;
            foreach (var (x, y) in series[s].Points)
            {
                if (!double.IsFinite(y)) continue;
                float px = (float)(L + ((x - x0) / (x1 - x0) * (W - L - R)));
                float py = (float)(H - B - ((Y(y) - y0) / (y1 - y0) * (H - T - B)));
                if (first) { path2.MoveTo(px, py); first = false; } else path2.LineTo(px, py);
            }
            canvas.DrawPath(path2, pen);
            // Legend on a translucent white box so it stays readable over the curves.
            using var box = new SKPaint { Color = new SKColor(255, 255, 255, 210), Style = SKPaintStyle.Fill };
            canvas.DrawRect(W - R - 205, T - 4 + (18 * s), 200, 18, box);
            using var label = new SKPaint { Color = colors[s % colors.Length], IsAntialias = true };
            canvas.DrawText(series[s].Name, W - R - 200, T + 10 + (18 * s), font, label);
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        var tmp = path + ".tmp";
        using (var f = File.Create(tmp)) data.SaveTo(f);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Moving average over <paramref name="window"/> points, to read a noisy loss curve.</summary>
    public static IReadOnlyList<(double X, double Y)> Smooth(IReadOnlyList<(long Step, double Loss)> history, int window)
    {
        var result = new List<(double, double)>();
        double sum = 0;
        for (int i = 0; i < history.Count; i++)
        {
            sum += history[i].Loss;
            if (i >= window) sum -= history[i - window].Loss;
            if (i >= window - 1 || i == history.Count - 1) result.Add((history[i].Step, sum / Math.Min(i + 1, window)));
        }
        return result;
    }
}
