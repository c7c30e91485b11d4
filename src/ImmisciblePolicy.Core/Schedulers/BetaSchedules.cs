namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// The beta schedules of diffusers (huggingface/diffusers src/diffusers/schedulers/scheduling_ddpm.py,
/// <c>DDPMScheduler.__init__</c> and <c>betas_for_alpha_bar</c>) and the cumulative products abar_t = prod_{s&lt;=t} (1 - beta_s).
/// </summary>
/// <remarks>
/// Dtype: diffusers holds betas, alphas and alphas_cumprod as float32 torch tensors. To keep every scheduler
/// coefficient equal to diffusers', the arrays returned here are float64 arrays whose values are exactly those
/// float32 numbers: the cosine formula is evaluated in float64 (Python floats) and rounded once to float32; linspace
/// runs in float32 with torch's CPU formula; 1 - beta is a float32 subtraction; the cumulative product follows
/// torch's CPU cumprod for float32, which accumulates in float64 and rounds each prefix to float32.
/// Cross-checked bit for bit against the libtorch 2.10 bundled with TorchSharp 0.107 (linspace, cumprod) and against
/// diffusers' formulas run in PyTorch: cosine betas and every cumulative product match exactly. Linspace is the one
/// build-dependent step: older or differently compiled PyTorch builds (e.g. Debian's 1.13, which uses a vectorised
/// path) differ by 1 ulp in about a fifth of the linear betas, which moves abar by at most 1 ulp (6e-8).
/// </remarks>
public static class BetaSchedules
{
    /// <summary>diffusers' cap on cosine betas ("max_beta" of betas_for_alpha_bar): keeps abar_T-1 above zero.</summary>
    public const double MaxCosineBeta = 0.999;

    /// <summary>Betas for <paramref name="config"/>, length T, float32 values held in float64.</summary>
    public static double[] Betas(DiffusionScheduleConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        int t = config.NumTrainTimesteps;
        return config.BetaSchedule switch
        {
            BetaSchedule.Linear => Widen(LinspaceFloat32((float)config.BetaStart, (float)config.BetaEnd, t)),
            // diffusers: torch.linspace(beta_start**0.5, beta_end**0.5, T, dtype=float32) ** 2, the square in float32.
            BetaSchedule.ScaledLinear => Widen(Array.ConvertAll(
                LinspaceFloat32((float)Math.Sqrt(config.BetaStart), (float)Math.Sqrt(config.BetaEnd), t), b => b * b)),
            BetaSchedule.SquaredCosCapV2 => CosineBetas(t),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.BetaSchedule, "unknown beta schedule"),
        };
    }

    /// <summary>
    /// abar(u) = cos^2(((u + 0.008) / 1.008) pi / 2), u in [0, 1]: the GLIDE / improved-DDPM cosine schedule
    /// (Nichol and Dhariwal 2021, eq. 17, offset s = 0.008) as written in diffusers' <c>betas_for_alpha_bar</c>.
    /// </summary>
    public static double CosineAlphaBar(double u)
    {
        double c = Math.Cos((u + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /// <summary>
    /// diffusers' <c>betas_for_alpha_bar(T)</c>: beta_i = min(1 - abar((i+1)/T) / abar(i/T), 0.999) in float64,
    /// then <c>torch.tensor(betas, dtype=torch.float32)</c>.
    /// </summary>
    public static double[] CosineBetas(int numTrainTimesteps)
    {
        if (numTrainTimesteps < 1)
            throw new ArgumentOutOfRangeException(nameof(numTrainTimesteps), numTrainTimesteps,
                $"{nameof(numTrainTimesteps)} must be at least 1; received {numTrainTimesteps}");
        var betas = new double[numTrainTimesteps];
        for (int i = 0; i < numTrainTimesteps; i++)
        {
            double t1 = (double)i / numTrainTimesteps;
            double t2 = (double)(i + 1) / numTrainTimesteps;
            betas[i] = (float)Math.Min(1 - CosineAlphaBar(t2) / CosineAlphaBar(t1), MaxCosineBeta);
        }
        return betas;
    }

    /// <summary>
    /// alphas_cumprod = torch.cumprod(1.0 - betas) on float32 tensors: alpha_s = 1 - beta_s in float32; the running
    /// product is kept in float64 (torch's CPU accumulate type for float32) and each prefix is rounded to float32.
    /// </summary>
    public static double[] AlphasCumprod(IReadOnlyList<double> betas)
    {
        ArgumentNullException.ThrowIfNull(betas);
        var cumprod = new double[betas.Count];
        double running = 1.0;
        for (int i = 0; i < betas.Count; i++)
        {
            if (!(betas[i] >= 0 && betas[i] < 1))
                throw new ArgumentOutOfRangeException(nameof(betas), betas[i], $"betas[{i}] must be in [0, 1); received {betas[i]}");
            float alpha = 1f - (float)betas[i];
            running *= alpha;
            cumprod[i] = (float)running;
        }
        return cumprod;
    }

    /// <summary>
    /// torch.linspace(start, end, steps, dtype=float32) on CPU: step = (end - start) / (steps - 1) in float32; the first
    /// half counts up from start, the second half counts down from end so both endpoints are exact
    /// (pytorch aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp, linspace_kernel). libtorch is compiled with
    /// floating-point contraction, so start + step * i is one fused multiply-add; we do the same to match its bits.
    /// </summary>
    internal static float[] LinspaceFloat32(float start, float end, int steps)
    {
        var values = new float[steps];
        if (steps == 1)
        {
            values[0] = start;
            return values;
        }
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++)
            values[i] = i < halfway ? MathF.FusedMultiplyAdd(step, i, start) : MathF.FusedMultiplyAdd(-step, steps - i - 1, end);
        return values;
    }

    private static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);
}
