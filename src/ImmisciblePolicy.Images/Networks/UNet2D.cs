using ImmisciblePolicy.Core.Torch;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Networks;

/// <summary>
/// A small DDPM-style 2-D U-Net (Ho et al. 2020; Ronneberger et al. 2015): 3x3 conv in, per level
/// <see cref="UNet2DConfig.BlocksPerLevel"/> residual blocks then a stride-2 conv down; a middle of residual block,
/// optional self-attention, residual block; the mirror path up with skip concatenation and nearest-neighbour
/// upsampling; GroupNorm -> SiLU -> 3x3 conv out. The timestep enters every residual block through a sinusoidal
/// embedding and an MLP; an optional class embedding is added to it, with index NumClasses as the "null" class
/// for classifier-free guidance (Ho and Salimans 2022).
/// </summary>
public sealed class UNet2D : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly Conv2d _convIn, _convOut;
    private readonly Sequential _timeMlp;
    private readonly Embedding? _classEmbedding;
    private readonly ModuleList<ResidualBlock2D> _down, _up;
    private readonly ModuleList<Conv2d> _downsample, _upsample;
    private readonly ResidualBlock2D _mid1, _mid2;
    private readonly SelfAttention2D? _midAttention;
    private readonly GroupNorm _normOut;

    /// <summary>Builds the network; weights come from torch's default generator (seed it with torch.manual_seed).</summary>
    public UNet2D(UNet2DConfig config) : base(nameof(UNet2D))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var ch = config.Channels;
        int tdim = config.EffectiveTimeEmbedDim, g = config.NormGroups;
        _convIn = nn.Conv2d(config.InChannels, ch[0], 3, padding: 1);
        _timeMlp = nn.Sequential(nn.Linear(ch[0], tdim), nn.SiLU(), nn.Linear(tdim, tdim));
        if (config.NumClasses > 0) _classEmbedding = nn.Embedding(config.NumClasses + 1, tdim);

        _down = new ModuleList<ResidualBlock2D>();
        _downsample = new ModuleList<Conv2d>();
        var skipChannels = new List<int>();
        int c = ch[0];
        for (int level = 0; level < ch.Count; level++)
        {
            for (int i = 0; i < config.BlocksPerLevel; i++)
            {
                _down.Add(new ResidualBlock2D(c, ch[level], tdim, g));
                c = ch[level];
                skipChannels.Add(c);
            }
            if (level < ch.Count - 1) _downsample.Add(nn.Conv2d(c, c, 3, stride: 2, padding: 1));
        }
        _mid1 = new ResidualBlock2D(c, c, tdim, g);
        if (config.MiddleAttention) _midAttention = new SelfAttention2D(c, g);
        _mid2 = new ResidualBlock2D(c, c, tdim, g);

        _up = new ModuleList<ResidualBlock2D>();
        _upsample = new ModuleList<Conv2d>();
        for (int level = ch.Count - 1; level >= 0; level--)
        {
            for (int i = 0; i < config.BlocksPerLevel; i++)
            {
                int skip = skipChannels[^1];
                skipChannels.RemoveAt(skipChannels.Count - 1);
                _up.Add(new ResidualBlock2D(c + skip, ch[level], tdim, g));
                c = ch[level];
            }
            if (level > 0) _upsample.Add(nn.Conv2d(c, c, 3, padding: 1));
        }
        _normOut = Norms.Group(g, c);
        _convOut = nn.Conv2d(c, config.InChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public UNet2DConfig Config { get; }

    /// <summary>Class index meaning "no class" (classifier-free guidance's unconditional branch).</summary>
    public int NullClass => Config.NumClasses;

    /// <param name="x">(B, C, S, S) noisy images.</param>
    /// <param name="t">(B) float timesteps (DDPM: 0..T-1; flow matching: 1000 t).</param>
    /// <param name="labels">(B) int64 classes in [0, NumClasses], NumClasses = null class; null = unconditional.</param>
    /// <returns>(B, C, S, S): epsilon or velocity, per the objective it was trained with.</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor? labels)
    {
        int s = Config.ImageSize;
        if (x.dim() != 4 || x.shape[1] != Config.InChannels || x.shape[2] != s || x.shape[3] != s)
            throw new ArgumentException($"x must be (B, {Config.InChannels}, {s}, {s}); received [{string.Join(", ", x.shape)}]", nameof(x));
        if (t.dim() != 1 || t.shape[0] != x.shape[0])
            throw new ArgumentException($"t must be ({x.shape[0]}); received [{string.Join(", ", t.shape)}]", nameof(t));

        var temb = _timeMlp.forward(SinusoidalTimeEmbedding.Embed(t, Config.Channels[0])); // (B, D_t)
        if (_classEmbedding is not null)
        {
            using var nullClass = ((long)NullClass).ToScalar(); // held across the call (docs/design.md "Native safety")
            var y = labels ?? full(new[] { x.shape[0] }, nullClass, dtype: ScalarType.Int64, device: x.device); // (B)
            if (y.dim() != 1 || y.shape[0] != x.shape[0])
                throw new ArgumentException($"labels must be ({x.shape[0]}); received [{string.Join(", ", y.shape)}]", nameof(labels));
            temb = temb.add(_classEmbedding.forward(y), Scalars.One); // (B, D_t)
        }

        var h = _convIn.forward(x); // (B, C0, S, S)
        var skips = new Stack<Tensor>();
        int block = 0;
        for (int level = 0; level < Config.Channels.Count; level++)
        {
            for (int i = 0; i < Config.BlocksPerLevel; i++)
            {
                h = _down[block++].forward(h, temb); // (B, C_level, S / 2^level, ...)
                skips.Push(h);
            }
            if (level < Config.Channels.Count - 1) h = _downsample[level].forward(h); // halves H and W
        }
        h = _mid1.forward(h, temb);
        if (_midAttention is not null) h = _midAttention.forward(h);
        h = _mid2.forward(h, temb);
        block = 0;
        int up = 0;
        for (int level = Config.Channels.Count - 1; level >= 0; level--)
        {
            for (int i = 0; i < Config.BlocksPerLevel; i++)
                h = _up[block++].forward(cat([h, skips.Pop()], 1), temb); // (B, C_level, ...)
            if (level > 0)
            {
                h = nn.functional.interpolate(h, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest); // doubles H and W
                h = _upsample[up++].forward(h);
            }
        }
        return _convOut.forward(nn.functional.silu(_normOut.forward(h))); // (B, C, S, S)
    }
}
