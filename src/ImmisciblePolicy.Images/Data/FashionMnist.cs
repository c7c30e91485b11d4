namespace ImmisciblePolicy.Images.Data;

/// <summary>Which half of Fashion-MNIST (60 000 training / 10 000 test images, 28 x 28 grayscale, 10 classes).</summary>
public enum DatasetSplit
{
    /// <summary>train-images-idx3-ubyte / train-labels-idx1-ubyte.</summary>
    Train,
    /// <summary>t10k-images-idx3-ubyte / t10k-labels-idx1-ubyte.</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017) as shipped by Debian's <c>dataset-fashion-mnist</c> package under
/// /usr/share/datasets/fashion-mnist (gzipped IDX files, names as in zalandoresearch/fashion-mnist).
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The command that installs them.</summary>
    public const string InstallCommand = "apt-get install dataset-fashion-mnist";

    /// <summary>Class names in label order (zalandoresearch/fashion-mnist README).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads a split; <paramref name="directory"/> defaults to <see cref="DefaultDirectory"/>.</summary>
    /// <exception cref="FileNotFoundException">the files are missing; the message gives the install command.</exception>
    public static ImageDataset Load(DatasetSplit split, string? directory = null)
    {
        directory ??= DefaultDirectory;
        string prefix = split switch
        {
            DatasetSplit.Train => "train",
            DatasetSplit.Test => "t10k",
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
        };
        var images = Find(directory, $"{prefix}-images-idx3-ubyte");
        var labels = Find(directory, $"{prefix}-labels-idx1-ubyte");
        var (count, rows, cols, pixels) = IdxReader.ReadImages(images);
        var labelBytes = IdxReader.ReadLabels(labels);
        if (labelBytes.Length != count)
            throw new InvalidDataException($"{labels}: {labelBytes.Length} labels for the {count} images of {images}");
        var y = new int[count];
        for (int i = 0; i < count; i++)
        {
            y[i] = labelBytes[i];
            if (y[i] >= ClassNames.Count)
                throw new InvalidDataException($"{labels}: label {i} is {y[i]}; Fashion-MNIST has classes 0..{ClassNames.Count - 1}");
        }
        return new ImageDataset(pixels, count, 1, rows, cols, y, ClassNames.Count, ClassNames);
    }

    private static string Find(string directory, string stem)
    {
        foreach (var name in new[] { stem + ".gz", stem })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"Fashion-MNIST file {stem}(.gz) not found in {directory}; install the dataset with `{InstallCommand}` " +
            "(Debian/Ubuntu) or pass the directory that holds the IDX files", Path.Combine(directory, stem + ".gz"));
    }
}
