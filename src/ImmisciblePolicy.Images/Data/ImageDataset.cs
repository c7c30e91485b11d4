using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Data;

/// <summary>
/// An in-memory image set: N images of C x H x W bytes (0..255, channel-major per image) with optional class
/// labels. Bytes keep 60 000 Fashion-MNIST images at 47 MB; batches are converted to float on demand.
/// </summary>
public sealed class ImageDataset
{
    /// <param name="pixels">N * C * H * W bytes, image after image, each (C, H, W).</param>
    /// <param name="labels">one class index per image in [0, numClasses), or null for unlabelled data.</param>
    /// <param name="classNames">names of the classes (length numClasses), or null.</param>
    public ImageDataset(byte[] pixels, int count, int channels, int height, int width, int[]? labels = null,
        int numClasses = 0, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "the dataset must hold at least one image");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (grayscale) or 3 (RGB)");
        if (height < 1 || width < 1) throw new ArgumentException($"image size must be positive; received {height}x{width}", nameof(height));
        long expected = (long)count * channels * height * width;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"pixels must hold count*C*H*W = {expected} bytes; received {pixels.LongLength}", nameof(pixels));
        if (labels is not null)
        {
            if (labels.Length != count)
                throw new ArgumentException($"labels must have one entry per image ({count}); received {labels.Length}", nameof(labels));
            if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "labelled data needs numClasses >= 1");
            for (int i = 0; i < labels.Length; i++)
                if ((uint)labels[i] >= (uint)numClasses)
                    throw new ArgumentException($"label {i} is {labels[i]}; expected a class in [0, {numClasses})", nameof(labels));
        }
        if (classNames is not null && classNames.Count != numClasses)
            throw new ArgumentException($"classNames must have {numClasses} entries; received {classNames.Count}", nameof(classNames));
        Pixels = pixels;
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        Labels = labels;
        NumClasses = labels is null ? 0 : numClasses;
        ClassNames = classNames;
    }

    /// <summary>Raw bytes, (N, C, H, W) row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>Number of images N.</summary>
    public int Count { get; }

    /// <summary>Channels C (1 or 3).</summary>
    public int Channels { get; }

    /// <summary>Height H.</summary>
    public int Height { get; }

    /// <summary>Width W.</summary>
    public int Width { get; }

    /// <summary>Class of each image, or null.</summary>
    public int[]? Labels { get; }

    /// <summary>Number of classes (0 when unlabelled).</summary>
    public int NumClasses { get; }

    /// <summary>Class names, or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Bytes per image, C * H * W.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>
    /// Images <paramref name="indices"/> as float32 (B, C, H, W) normalised to [-1, 1] (x / 127.5 - 1, the DDPM
    /// convention), in the caller's dispose scope.
    /// </summary>
    public Tensor Images(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int size = ImageSize;
        var data = new float[indices.Count * size];
        for (int b = 0; b < indices.Count; b++)
        {
            int i = indices[b];
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"index must be in [0, {Count})");
            int src = i * size, dst = b * size;
            for (int j = 0; j < size; j++) data[dst + j] = Pixels[src + j] / 127.5f - 1f;
        }
        return tensor(data).reshape(indices.Count, Channels, Height, Width); // (B, C, H, W)
    }

    /// <summary>Labels of <paramref name="indices"/> as int64 (B); throws when the dataset is unlabelled.</summary>
    public Tensor LabelTensor(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (Labels is null) throw new InvalidOperationException("the dataset has no labels");
        var data = new long[indices.Count];
        for (int b = 0; b < indices.Count; b++) data[b] = Labels[indices[b]];
        return tensor(data); // (B)
    }

    /// <summary>The first <paramref name="n"/> images (or all, if fewer) as a new dataset sharing nothing with this one.</summary>
    public ImageDataset Take(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "must take at least one image");
        n = Math.Min(n, Count);
        var pixels = Pixels.AsSpan(0, n * ImageSize).ToArray();
        return new ImageDataset(pixels, n, Channels, Height, Width, Labels?[..n], NumClasses, ClassNames);
    }
}
