using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Networks.Vision;

/// <summary>
/// Spatial soft-argmax keypoints (Finn et al. 2016, "Deep Spatial Autoencoders"), LeRobot's SpatialSoftmax
/// (modeling_diffusion.py, a port of robomimic's): a 1x1 conv <c>nets</c> maps C channels to K keypoint maps,
/// each map is soft-maxed over its H x W positions, and the expected (x, y) under that distribution over the
/// <c>pos_grid</c> buffer is the keypoint. pos_grid is (H W, 2) built like numpy's
/// <c>meshgrid(linspace(-1, 1, W), linspace(-1, 1, H))</c> flattened row-major: entry (r W + c) = (x_c, y_r).
/// </summary>
public sealed class SpatialSoftmax : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d nets;
    private readonly Tensor pos_grid;

    /// <param name="channels">C, channels of the input feature map.</param>
    /// <param name="height">H of the feature map.</param>
    /// <param name="width">W of the feature map.</param>
    /// <param name="keypoints">K.</param>
    internal SpatialSoftmax(int channels, int height, int width, int keypoints) : base(nameof(SpatialSoftmax))
    {
        if (height < 1 || width < 1) throw new ArgumentException($"feature map must be at least 1 x 1; got {height} x {width}", nameof(height));
        Channels = channels;
        Height = height;
        Width = width;
        Keypoints = keypoints;
        nets = nn.Conv2d(channels, keypoints, 1);
        // numpy.linspace(-1, 1, n) in float64: start + i * step with step = 2 / (n - 1), the last point exactly 1;
        // cast to float32 like torch.from_numpy(...).float().
        var grid = new float[height * width * 2];
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
            {
                grid[((r * width) + c) * 2] = (float)Linspace(c, width);
                grid[((r * width) + c) * 2 + 1] = (float)Linspace(r, height);
            }
        pos_grid = tensor(grid).reshape(height * width, 2);
        register_module("nets", nets);
        register_buffer("pos_grid", pos_grid);
    }

    /// <summary>Input channels C.</summary>
    public int Channels { get; }

    /// <summary>Feature map height H.</summary>
    public int Height { get; }

    /// <summary>Feature map width W.</summary>
    public int Width { get; }

    /// <summary>Keypoints K.</summary>
    public int Keypoints { get; }

    /// <summary>numpy.linspace(-1, 1, n)[i]: -1 + i * step (step = 2 / (n - 1)), the endpoint set to exactly 1; n = 1 gives -1.</summary>
    internal static double Linspace(int i, int n)
    {
        if (n == 1) return -1.0;
        if (i == n - 1) return 1.0;
        double step = 2.0 / (n - 1);
        return -1.0 + (i * step);
    }

    /// <param name="features">(N, C, H, W).</param>
    /// <returns>(N, K, 2) keypoints (x, y) in [-1, 1].</returns>
    public override Tensor forward(Tensor features)
    {
        if (features.ndim != 4 || features.shape[1] != Channels || features.shape[2] != Height || features.shape[3] != Width)
            throw new ArgumentException(
                $"expected features of shape (N, {Channels}, {Height}, {Width}); got ({string.Join(", ", features.shape)})", nameof(features));
        var maps = nets.forward(features).reshape(-1, Height * Width);               // (N K, H W)
        var attention = nn.functional.softmax(maps, dim: -1);                        // (N K, H W)
        var expected = attention.matmul(pos_grid);                                    // (N K, 2)
        return expected.view(-1, Keypoints, 2);                                       // (N, K, 2)
    }
}
