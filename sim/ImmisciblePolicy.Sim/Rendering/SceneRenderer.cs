using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;
using SkiaSharp;

namespace ImmisciblePolicy.Sim.Rendering;

/// <summary>
/// Draws the tasks with SkiaSharp in the reference colours (gym-pusht _draw / pymunk_override:
/// white background, LightGray walls, LightGreen goal, LightSlateGray block, RoyalBlue agent),
/// world pixels scaled to a square image. Optional overlays: a predicted action chunk (red
/// points, fading) and the last action (red cross, as gym-pusht's render_action marker).
/// </summary>
public static class SceneRenderer
{
    private static readonly SKColor Background = SKColors.White;
    private static readonly SKColor Wall = new(211, 211, 211);
    private static readonly SKColor Goal = new(144, 238, 144);
    private static readonly SKColor Block = new(119, 136, 153);
    private static readonly SKColor Agent = new(65, 105, 225);
    private static readonly SKColor ActionColor = new(255, 0, 0);

    /// <summary>Renders Push-T; the caller owns (disposes) the bitmap.</summary>
    public static SKBitmap DrawPushT(PushTState state, int size = 256, IReadOnlyList<Vec2>? actionChunk = null, Vec2? lastAction = null)
    {
        var (bitmap, canvas, scale) = Begin(size);
        using (canvas)
        {
            using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
            DrawWalls(canvas, scale);
            paint.Color = Goal;
            foreach (var part in TShape.At(PushTConfig.GoalPose))
            {
                FillPolygon(canvas, part, scale, paint);
            }

            paint.Color = Block;
            foreach (var part in TShape.At(state.Block))
            {
                FillPolygon(canvas, part, scale, paint);
            }

            paint.Color = Agent;
            canvas.DrawCircle((float)(state.Agent.X * scale), (float)(state.Agent.Y * scale), (float)(PushTGeometry.AgentRadius * scale), paint);
            DrawActions(canvas, scale, actionChunk, lastAction);
        }

        return bitmap;
    }

    /// <summary>Renders the bimodal reaching task; the caller owns (disposes) the bitmap.</summary>
    public static SKBitmap DrawBimodal(BimodalReachConfig config, Vec2 agent, int size = 256, IReadOnlyList<Vec2>? actionChunk = null, Vec2? lastAction = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (bitmap, canvas, scale) = Begin(size);
        using (canvas)
        {
            using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
            DrawWalls(canvas, scale);
            paint.Color = Goal;
            canvas.DrawCircle((float)(config.Goal.X * scale), (float)(config.Goal.Y * scale), (float)(config.GoalRadius * scale), paint);
            paint.Color = Block;
            canvas.DrawRect(SKRect.Create((float)(config.ObstacleLeft * scale), (float)(config.ObstacleTop * scale), (float)(2 * config.ObstacleHalfWidth * scale), (float)(2 * config.ObstacleHalfHeight * scale)), paint);
            paint.Color = Agent;
            canvas.DrawCircle((float)(agent.X * scale), (float)(agent.Y * scale), (float)(BimodalReachEnv.AgentRadius * scale), paint);
            DrawActions(canvas, scale, actionChunk, lastAction);
        }

        return bitmap;
    }

    /// <summary>Encodes a bitmap as PNG and writes it atomically.</summary>
    public static void WritePng(string path, SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp failed to encode the PNG.");
        AtomicFile.WriteAllBytes(path, data.Span);
    }

    private static (SKBitmap Bitmap, SKCanvas Canvas, double Scale) Begin(int size)
    {
        if (size is < 16 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Image size must be in [16, 4096] pixels.");
        }

        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = new SKCanvas(bitmap);
        canvas.Clear(Background);
        return (bitmap, canvas, size / PushTConfig.WorldSize);
    }

    private static void DrawWalls(SKCanvas canvas, double scale)
    {
        // gym-pusht wall segments (5, 5)-(506, 506) with radius 2.
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, Color = Wall, StrokeWidth = (float)(4 * scale) };
        float lo = (float)(5 * scale), hi = (float)(506 * scale);
        canvas.DrawRect(new SKRect(lo, lo, hi, hi), paint);
    }

    private static void FillPolygon(SKCanvas canvas, ConvexPolygon polygon, double scale, SKPaint paint)
    {
        using var path = new SKPath();
        var v = polygon.Vertices;
        path.MoveTo((float)(v[0].X * scale), (float)(v[0].Y * scale));
        for (int i = 1; i < v.Count; i++)
        {
            path.LineTo((float)(v[i].X * scale), (float)(v[i].Y * scale));
        }

        path.Close();
        canvas.DrawPath(path, paint);
    }

    private static void DrawActions(SKCanvas canvas, double scale, IReadOnlyList<Vec2>? chunk, Vec2? last)
    {
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill, Color = ActionColor };
        if (chunk is not null)
        {
            float r = (float)Math.Max(1.5, 4 * scale);
            for (int i = 0; i < chunk.Count; i++)
            {
                // Later actions of the chunk fade, so the direction of the plan is visible.
                byte alpha = (byte)(255 - (180 * i / Math.Max(1, chunk.Count)));
                paint.Color = ActionColor.WithAlpha(alpha);
                canvas.DrawCircle((float)(chunk[i].X * scale), (float)(chunk[i].Y * scale), r, paint);
            }
        }

        if (last is { } a)
        {
            paint.Color = ActionColor;
            paint.Style = SKPaintStyle.Stroke;
            paint.StrokeWidth = (float)Math.Max(1, 2 * scale);
            float x = (float)(a.X * scale), y = (float)(a.Y * scale), m = (float)(10 * scale);
            canvas.DrawLine(x - m, y, x + m, y, paint);
            canvas.DrawLine(x, y - m, x, y + m, paint);
        }
    }
}
