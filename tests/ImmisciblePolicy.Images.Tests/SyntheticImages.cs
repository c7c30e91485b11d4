using ImmisciblePolicy.Images.Data;

namespace ImmisciblePolicy.Images.Tests;

/// <summary>A two-class toy image set: class 0 a bright horizontal bar, class 1 a bright vertical bar, on a dark background.</summary>
internal static class SyntheticImages
{
    public static ImageDataset Bars(int count, int size, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * size * size];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            int line = random.Next(2, size - 4), thickness = 3;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int along = labels[i] == 0 ? y : x;
                    bool on = along >= line && along < line + thickness;
                    pixels[i * size * size + y * size + x] = (byte)(on ? 230 + random.Next(20) : random.Next(20));
                }
        }
        return new ImageDataset(pixels, count, 1, size, size, labels, 2, ["horizontal", "vertical"]);
    }
}
