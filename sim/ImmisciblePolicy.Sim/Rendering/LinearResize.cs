namespace ImmisciblePolicy.Sim.Rendering;

/// <summary>
/// OpenCV's <c>cv2.resize(img, (W, H))</c> with the default INTER_LINEAR on 8-bit images (opencv
/// modules/imgproc/src/resize.cpp, resizeGeneric_ with HResizeLinear / VResizeLinear): source coordinate
/// s = (d + 0.5) * (in / out) - 0.5 taken in float, clamped to the image, coefficients rounded to 11-bit fixed point
/// (INTER_RESIZE_COEF_SCALE = 2048), a horizontal then a vertical pass, and rounding of the 22-bit product. Plain
/// bilinear sampling of the 2 x 2 nearest pixels: it does not average the whole footprint when shrinking (what
/// gym-pusht and diffusion_policy get when they resize the 512-pixel render to 96).
/// </summary>
public static class LinearResize
{
    private const int CoefBits = 11, CoefScale = 1 << CoefBits;

    /// <summary>Resizes an HWC uint8 image of <paramref name="inHeight"/> x <paramref name="inWidth"/> x <paramref name="channels"/>.</summary>
    public static byte[] Resize(ReadOnlySpan<byte> source, int inHeight, int inWidth, int channels, int outHeight, int outWidth)
    {
        if (inHeight < 1 || inWidth < 1 || outHeight < 1 || outWidth < 1 || channels < 1)
            throw new ArgumentException($"sizes must be positive; got {inHeight} x {inWidth} x {channels} -> {outHeight} x {outWidth}", nameof(inHeight));
        if (source.Length != inHeight * inWidth * channels)
            throw new ArgumentException($"expected {inHeight} x {inWidth} x {channels} = {inHeight * inWidth * channels} bytes; got {source.Length}", nameof(source));
        var (x0, ax) = Coefficients(inWidth, outWidth);
        var (y0, ay) = Coefficients(inHeight, outHeight);
        var result = new byte[outHeight * outWidth * channels];
        var rows = new int[2][];
        for (int dy = 0; dy < outHeight; dy++)
        {
            for (int k = 0; k < 2; k++)
            {
                int sy = Math.Min(y0[dy] + k, inHeight - 1);
                var row = rows[k] ??= new int[outWidth * channels];
                var src = source.Slice(sy * inWidth * channels, inWidth * channels);
                for (int dx = 0; dx < outWidth; dx++)
                {
                    int sx0 = x0[dx] * channels, sx1 = Math.Min(x0[dx] + 1, inWidth - 1) * channels;
                    for (int c = 0; c < channels; c++)
                        row[(dx * channels) + c] = (src[sx0 + c] * ax[dx * 2]) + (src[sx1 + c] * ax[(dx * 2) + 1]);
                }
            }
            int b0 = ay[dy * 2], b1 = ay[(dy * 2) + 1];
            var dst = result.AsSpan(dy * outWidth * channels, outWidth * channels);
            for (int i = 0; i < dst.Length; i++)
            {
                long v = ((long)rows[0]![i] * b0) + ((long)rows[1]![i] * b1);
                dst[i] = (byte)Math.Clamp((v + (1L << ((2 * CoefBits) - 1))) >> (2 * CoefBits), 0, 255);
            }
        }
        return result;
    }

    /// <summary>Per output index: the first source index and the two fixed-point weights (they sum to 2048).</summary>
    private static (int[] Index, int[] Weights) Coefficients(int inSize, int outSize)
    {
        var index = new int[outSize];
        var weights = new int[outSize * 2];
        double scale = (double)inSize / outSize;
        for (int d = 0; d < outSize; d++)
        {
            float f = (float)(((d + 0.5) * scale) - 0.5);
            int s = (int)Math.Floor(f);
            f -= s;
            if (s < 0) { s = 0; f = 0; }
            if (s >= inSize - 1) { s = inSize - 1; f = 0; }
            index[d] = s;
            int w0 = (int)Math.Round((1f - f) * CoefScale, MidpointRounding.ToEven);
            weights[d * 2] = w0;
            weights[(d * 2) + 1] = CoefScale - w0;
        }
        return (index, weights);
    }
}
