using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;
using SkiaSharp;

namespace ImmisciblePolicy.Sim.Rendering;

/// <summary>
/// The camera observation of the tasks, as gym-pusht's <c>pixels</c> / <c>pixels_agent_pos</c> observation types
/// produce it (huggingface/gym-pusht gym_pusht/envs/pusht.py, PushTEnv._draw, _get_img and _render with the
/// pymunk_override DrawOptions): a 512 x 512 pygame surface filled white; the goal T as LightGreen polygons on
/// vertices rounded to integers; then pymunk's debug draw, which visits the dynamic shapes (the T's two boxes, then
/// the agent, in the order of Chipmunk's shape hash set) before the static walls: each box filled in the lightened
/// colour (1.2 x LightSlateGray) and outlined by 4-pixel round-capped strokes in LightSlateGray; the agent a RoyalBlue
/// disc of radius 15 with a lightened disc of radius 11 inside; the walls 4-pixel LightGray strokes. The surface is
/// then resized to the observation size with OpenCV's INTER_LINEAR (<see cref="LinearResize"/>). Drawing is aliased
/// like pygame's primitives. Frames are H x W x 3 uint8, row-major HWC (what <c>IImageFrames</c> stores).
/// </summary>
public static class ObservationImage
{
    /// <summary>gym-pusht's drawing surface: the 512-pixel world at one pixel per unit.</summary>
    public const int SurfaceSize = 512;

    /// <summary>gym-pusht's observation_width / observation_height default.</summary>
    public const int DefaultSize = 96;

    private static readonly SKColor Goal = new(144, 238, 144);       // pygame.Color("LightGreen")
    private static readonly SKColor Block = new(119, 136, 153);      // pygame.Color("LightSlateGray")
    private static readonly SKColor Agent = new(65, 105, 225);       // pygame.Color("RoyalBlue")
    private static readonly SKColor Wall = new(211, 211, 211);       // pygame.Color("LightGray")

    /// <summary>The observation image of <paramref name="task"/> in its current state.</summary>
    public static byte[] Render(ISimTask task, int height = DefaultSize, int width = DefaultSize) => task switch
    {
        PushTEnv p => PushT(p.State, height, width),
        BimodalReachEnv b => Bimodal(b.Config, b.Agent, height, width),
        null => throw new ArgumentNullException(nameof(task)),
        _ => throw new ArgumentException($"no observation image for {task.GetType().Name}", nameof(task)),
    };

    /// <summary>Push-T's observation image (gym-pusht obs_type "pixels"), H x W x 3.</summary>
    public static byte[] PushT(PushTState state, int height = DefaultSize, int width = DefaultSize) =>
        Draw(height, width, canvas =>
        {
            foreach (var part in TShape.At(PushTConfig.GoalPose)) FillPolygon(canvas, part.Vertices, Goal);
            foreach (var part in TShape.At(state.Block)) DrawPolygonShape(canvas, part.Vertices, Block);
            DrawCircleShape(canvas, state.Agent, PushTGeometry.AgentRadius, Agent);
        });

    /// <summary>
    /// The bimodal task drawn in the same style: the goal disc as the goal region (LightGreen), the obstacle as a
    /// block-coloured box, the agent as Push-T's, inside the same walls.
    /// </summary>
    public static byte[] Bimodal(BimodalReachConfig config, Vec2 agent, int height = DefaultSize, int width = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Draw(height, width, canvas =>
        {
            using var fill = Paint(Goal);
            canvas.DrawCircle((float)Math.Round(config.Goal.X), (float)Math.Round(config.Goal.Y), (float)Math.Round(config.GoalRadius), fill);
            double l = config.ObstacleLeft, r = config.ObstacleRight, t = config.ObstacleTop, b = config.ObstacleBottom;
            DrawPolygonShape(canvas, [new Vec2(l, t), new Vec2(r, t), new Vec2(r, b), new Vec2(l, b)], Block);
            DrawCircleShape(canvas, agent, BimodalReachEnv.AgentRadius, Agent);
        });
    }

    private static byte[] Draw(int height, int width, Action<SKCanvas> scene)
    {
        if (height is < 1 or > 4096 || width is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(height), $"observation size must be in [1, 4096]; got {height} x {width}");
        using var bitmap = new SKBitmap(new SKImageInfo(SurfaceSize, SurfaceSize, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            // pygame's integer coordinate i is the pixel i, whose centre Skia places at i + 0.5.
            canvas.Translate(0.5f, 0.5f);
            scene(canvas);
            // Static shapes come last in pymunk's debug draw: the walls, segments (5, 506)-(5, 5), (5, 5)-(506, 5),
            // (506, 5)-(506, 506), (5, 506)-(506, 506) of radius 2.
            using var wall = Stroke(Wall, FatSegmentWidth);
            canvas.DrawLine(5, 506, 5, 5, wall);
            canvas.DrawLine(5, 5, 506, 5, wall);
            canvas.DrawLine(506, 5, 506, 506, wall);
            canvas.DrawLine(5, 506, 506, 506, wall);
        }
        var px = bitmap.GetPixelSpan();
        var rgb = new byte[SurfaceSize * SurfaceSize * 3];
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = px[i];
            rgb[j + 1] = px[i + 1];
            rgb[j + 2] = px[i + 2];
        }
        return height == SurfaceSize && width == SurfaceSize ? rgb : LinearResize.Resize(rgb, SurfaceSize, SurfaceSize, 3, height, width);
    }

    /// <summary>pymunk_override.DrawOptions.draw_polygon: fill in light_color, then radius-2 fat segments along every edge.</summary>
    private static void DrawPolygonShape(SKCanvas canvas, IReadOnlyList<Vec2> vertices, SKColor color)
    {
        FillPolygon(canvas, vertices, Light(color));
        using var edge = Stroke(color, FatSegmentWidth);
        for (int i = 0; i < vertices.Count; i++)
        {
            var a = vertices[i];
            var b = vertices[(i + 1) % vertices.Count];
            canvas.DrawLine((float)Math.Round(a.X), (float)Math.Round(a.Y), (float)Math.Round(b.X), (float)Math.Round(b.Y), edge);
        }
    }

    /// <summary>pymunk_override.DrawOptions.draw_circle: the disc in the shape's colour, a light_color disc of radius - 4 inside.</summary>
    private static void DrawCircleShape(SKCanvas canvas, Vec2 centre, double radius, SKColor color)
    {
        float x = (float)Math.Round(centre.X), y = (float)Math.Round(centre.Y);
        using var outer = Paint(color);
        canvas.DrawCircle(x, y, (float)Math.Round(radius), outer);
        using var inner = Paint(Light(color));
        canvas.DrawCircle(x, y, (float)Math.Round(radius - 4), inner);
    }

    /// <summary>light_color: min(1.2 x colour, 255) per channel in float32, truncated to int by SpaceDebugColor.as_int.</summary>
    private static SKColor Light(SKColor c)
    {
        static byte L(byte v) => (byte)Math.Min(255f, 1.2f * v);
        return new SKColor(L(c.Red), L(c.Green), L(c.Blue));
    }

    /// <summary>pygame.draw.polygon: the interior and the boundary pixels (a hairline of the same colour over the fill).</summary>
    private static void FillPolygon(SKCanvas canvas, IReadOnlyList<Vec2> vertices, SKColor color)
    {
        using var path = RoundedPath(vertices);
        using var fill = Paint(color);
        canvas.DrawPath(path, fill);
        using var boundary = Stroke(color, 0);
        boundary.StrokeCap = SKStrokeCap.Butt;
        canvas.DrawPath(path, boundary);
    }

    /// <summary>
    /// draw_fat_segment with radius 2: a 4-pixel pygame line plus the polygon of the endpoints offset by +-2 and discs of
    /// radius 2 at the ends, all filled inclusively, so 5 pixels across.
    /// </summary>
    private const float FatSegmentWidth = 5;

    private static SKPath RoundedPath(IReadOnlyList<Vec2> vertices)
    {
        var path = new SKPath();
        path.MoveTo((float)Math.Round(vertices[0].X), (float)Math.Round(vertices[0].Y));
        for (int i = 1; i < vertices.Count; i++) path.LineTo((float)Math.Round(vertices[i].X), (float)Math.Round(vertices[i].Y));
        path.Close();
        return path;
    }

    private static SKPaint Paint(SKColor color) => new() { IsAntialias = false, Style = SKPaintStyle.Fill, Color = color };

    private static SKPaint Stroke(SKColor color, float width) =>
        new() { IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = width, StrokeCap = SKStrokeCap.Round, Color = color };
}
