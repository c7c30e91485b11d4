using System.Globalization;
using Google.Protobuf;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Onnx.Ir;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;
using DataType = ImmisciblePolicy.Onnx.Ir.TensorProto.Types.DataType;

namespace ImmisciblePolicy.Onnx;

/// <summary>
/// Writes the Diffusion Policy denoiser (<see cref="ConditionalUnet1D"/>) as an ONNX model, opset 17, IR version 8,
/// without Python: the graph is built node by node from the module tree, following
/// <see cref="ConditionalUnet1D.forward"/> (itself real-stanford/diffusion_policy, conditional_unet1d.py), and the
/// weights become initializers named as in the reference state dict.
/// </summary>
/// <remarks>
/// Graph interface (batch and horizon are symbolic):
/// <list type="bullet">
/// <item><c>sample</c> float32 (batch, horizon, Da): the noisy action chunk a_t;</item>
/// <item><c>timestep</c> int64 (batch): the diffusion step per row (broadcast a scalar before calling);</item>
/// <item><c>global_cond</c> float32 (batch, To*Do): the normalised observation window, flattened;</item>
/// <item>output <c>prediction</c> float32 (batch, horizon, Da): noise, sample or v per the scheduler.</item>
/// </list>
/// Inside, the reference's activations (B, C, T) are laid out as one image (1, C, B, T) whose rows are the batch,
/// and every Conv1d / ConvTranspose1d is a 2-D Conv / ConvTranspose with a (1, k) kernel. The arithmetic is the
/// same (a (1, k) kernel never mixes rows), but ONNX Runtime's CPU convolution (im2col + one GEMM per image) then
/// runs one GEMM over all B * T positions instead of B small ones, and its NCHWc layout transformer applies to 2-D
/// convolutions: at batch 32 this layout made the forward pass about 1.75x faster than the plain (B, C, T) graph,
/// and no slower at batch 1 (measured on the 2-core machine; docs/onnx.md).
/// Opset 17 has neither Mish nor GroupNormalization (both arrive in opset 18): GroupNorm is Reshape (B, G, C/G * T)
/// -> InstanceNormalization (unit scale, zero bias, eps 1e-5) -> Reshape -> per-channel affine, the decomposition
/// torch.onnx uses below opset 18 (symbolic_opset9.group_norm), on the batch rows; Mish is written from Exp (see
/// <c>Mish</c> below).
/// </remarks>
public static class OnnxExporter
{
    /// <summary>ONNX operator set of the exported graph.</summary>
    public const int Opset = 17;

    /// <summary>IR version that goes with opset 17 (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>Graph input and output names.</summary>
    public const string SampleInput = "sample", TimestepInput = "timestep", GlobalCondInput = "global_cond", PredictionOutput = "prediction";

    /// <summary>Names of the symbolic dimensions.</summary>
    public const string BatchDim = "batch", HorizonDim = "horizon";

    /// <summary>GroupNorm epsilon of PyTorch's default, used by the reference's Conv1dBlock.</summary>
    private const float GroupNormEpsilon = 1e-5f;

    /// <summary>
    /// The serialised ONNX model of <paramref name="network"/> with its metadata: the keys of
    /// <see cref="OnnxMetadata"/> the exporter knows (format, U-Net config, parameter count, weights hash) plus
    /// <paramref name="metadata"/> (policy config, normalisers, training step: see PolicyOnnxExport in Robotics).
    /// </summary>
    public static byte[] Export(ConditionalUnet1D network, IEnumerable<KeyValuePair<string, string>>? metadata = null) =>
        Build(network, metadata).ToByteArray();

    /// <summary>Writes <see cref="Export"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Save(ConditionalUnet1D network, string path, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var bytes = Export(network, metadata);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The model as a protobuf message (tests read it back; <see cref="Export"/> serialises it).</summary>
    internal static ModelProto Build(ConditionalUnet1D network, IEnumerable<KeyValuePair<string, string>>? metadata)
    {
        ArgumentNullException.ThrowIfNull(network);
        var config = network.Config;
        var weights = DiffusionTrainer<object>.UniqueStateDict(network);
        var graph = new UnetGraph(config, weights);
        graph.Emit();

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "ImmisciblePolicy",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0",
            Domain = "immiscible.policy",
            ModelVersion = 1,
            DocString = "Diffusion Policy ConditionalUnet1D denoiser (real-stanford/diffusion_policy conditional_unet1d.py). " +
                        "Inputs: sample (batch, horizon, Da) float32, timestep (batch) int64, global_cond (batch, To*Do) float32; " +
                        "output: prediction (batch, horizon, Da) float32. horizon must be a multiple of 2^(levels-1).",
            Graph = graph.Builder.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });

        var props = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OnnxMetadata.Format] = OnnxMetadata.FormatValue,
            [OnnxMetadata.UnetConfig] = OnnxMetadata.ConfigToJson(config),
            [OnnxMetadata.ParameterCount] = network.ParameterCount.ToString(CultureInfo.InvariantCulture),
            [OnnxMetadata.WeightsSha256] = WeightsHash.Of(network),
        };
        if (metadata is not null)
            foreach (var (key, value) in metadata)
            {
                if (props.ContainsKey(key))
                    throw new ArgumentException($"metadata key '{key}' is written by the exporter itself", nameof(metadata));
                props[key] = value ?? throw new ArgumentException($"metadata '{key}' has no value", nameof(metadata));
            }
        foreach (var (key, value) in props)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>
    /// Emits the U-Net's nodes; every weight must be used exactly as the module tree uses it. Activations live as
    /// (1, C, B, T): one image whose rows are the batch (see the class remarks).
    /// </summary>
    private sealed class UnetGraph
    {
        private readonly UnetConfig _config;
        private readonly Dictionary<string, Tensor> _weights;
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

        public UnetGraph(UnetConfig config, IReadOnlyList<(string Name, Tensor Tensor)> weights)
        {
            _config = config;
            _weights = weights.ToDictionary(w => w.Name, w => w.Tensor, StringComparer.Ordinal);
            Builder = new OnnxGraphBuilder("ConditionalUnet1D");
        }

        public OnnxGraphBuilder Builder { get; }

        public void Emit()
        {
            var c = _config;
            var b = Builder;
            b.Input(SampleInput, DataType.Float, BatchDim, HorizonDim, (long)c.InputDim);
            b.Input(TimestepInput, DataType.Int64, BatchDim);
            b.Input(GlobalCondInput, DataType.Float, BatchDim, (long)c.GlobalCondDim);

            // 1. Step embedding and the FiLM condition: cond = [step_encoder(t), global_cond]            (B, dsed + G)
            var step = StepEncoder(TimestepInput);
            var cond = b.Node("Concat", "cond", [step, GlobalCondInput], OnnxGraphBuilder.Int("axis", 1));
            // Every cond_encoder starts with Mish(cond): the same value for all blocks, computed once.
            var condMish = Mish(cond, "cond_mish");

            // 2. The U-Net over time. The reference's (B, Da, T) becomes (1, Da, B, T): (B, T, Da) -> (Da, B, T) -> (1, Da, B, T)
            var x = b.Node("Unsqueeze", "x", [b.Node("Transpose", "x_cbt", [SampleInput], OnnxGraphBuilder.Ints("perm", 2, 0, 1)), Axes(0)]);
            var dims = new[] { c.InputDim }.Concat(c.DownDims).ToArray();
            var skips = new Stack<string>();
            for (int i = 0; i < c.Levels; i++)
            {
                var p = $"down_modules.{i}";
                x = ResBlock(x, condMish, $"{p}.0", dims[i], dims[i + 1]);
                x = ResBlock(x, condMish, $"{p}.1", dims[i + 1], dims[i + 1]);
                skips.Push(x);
                if (i < c.Levels - 1) x = Conv(x, $"{p}.2.conv", padding: 1, stride: 2);              // Downsample1d: T -> T/2
            }
            for (int m = 0; m < 2; m++)
                x = ResBlock(x, condMish, $"mid_modules.{m}", dims[^1], dims[^1]);
            for (int j = 0; j < c.Levels - 1; j++)
            {
                // reversed(in_out[1:]): level j maps (d_in, d_out) = (dims[L-1-j], dims[L-j])
                int dIn = dims[c.Levels - 1 - j], dOut = dims[c.Levels - j];
                var p = $"up_modules.{j}";
                x = b.Node("Concat", $"{p}.cat", [x, skips.Pop()], OnnxGraphBuilder.Int("axis", 1));   // (1, 2 d_out, B, T_j)
                x = ResBlock(x, condMish, $"{p}.0", 2 * dOut, dIn);
                x = ResBlock(x, condMish, $"{p}.1", dIn, dIn);
                x = ConvTranspose(x, $"{p}.2.conv");                                                   // Upsample1d: T -> 2T
            }
            // The first level's skip is never popped, as in the reference.
            x = Conv1dBlock(x, "final_conv.0", dims[1]);
            x = Conv(x, "final_conv.1", padding: 0, stride: 1);                                        // (1, Da, B, T)
            x = b.Node("Squeeze", "y_cbt", [x, Axes(0)]);                                              // (Da, B, T)
            b.Claim(PredictionOutput);
            b.Graph.Node.Add(new NodeProto
            {
                Name = PredictionOutput, OpType = "Transpose", Input = { x }, Output = { PredictionOutput },
                Attribute = { OnnxGraphBuilder.Ints("perm", 1, 2, 0) },                                 // (B, T, Da)
            });
            b.Output(PredictionOutput, DataType.Float, BatchDim, HorizonDim, (long)c.InputDim);

            var unused = _weights.Keys.Where(k => !_used.Contains(k)).ToList();
            if (unused.Count > 0)
                throw new InvalidOperationException($"the ONNX graph left weights unused: {string.Join(", ", unused)}");
        }

        /// <summary>SinusoidalPosEmb -> Linear(dsed, 4 dsed) -> Mish -> Linear(4 dsed, dsed).   (B) int64 -> (B, dsed)</summary>
        private string StepEncoder(string timestep)
        {
            var b = Builder;
            int half = _config.DiffusionStepEmbedDim / 2;
            // Frequencies computed by the same TorchSharp expression as SinusoidalPosEmb, so they are bit-identical.
            float[] freqs;
            using (NewDisposeScope())
                freqs = exp(arange(half, dtype: float32) * -(Math.Log(10000.0) / (half - 1))).data<float>().ToArray();
            var f = b.Initializer("diffusion_step_encoder.0.freqs", freqs, 1, half);
            var t = b.Node("Cast", "timestep_float", [timestep], OnnxGraphBuilder.Int("to", (long)DataType.Float));
            var t2 = b.Node("Unsqueeze", "timestep_column", [t, Axes(1)]);                                // (B, 1)
            var args = b.Node("Mul", "step_args", [t2, f]);                                              // (B, half)
            var emb = b.Node("Concat", "step_embedding",
                [b.Node("Sin", "step_sin", [args]), b.Node("Cos", "step_cos", [args])], OnnxGraphBuilder.Int("axis", -1));
            var h = Linear(emb, "diffusion_step_encoder.1");
            h = Mish(h, "diffusion_step_encoder.2");
            return Linear(h, "diffusion_step_encoder.3");
        }

        /// <summary>
        /// ConditionalResidualBlock1D: block2(FiLM(block1(x), cond)) + residual(x).   (1, C_in, B, T) -> (1, C_out, B, T)
        /// </summary>
        private string ResBlock(string x, string condMish, string p, int cin, int cout)
        {
            var b = Builder;
            var h = Conv1dBlock(x, $"{p}.blocks.0", cout);
            // cond_encoder: Mish (shared) -> Linear -> (B, 2C) or (B, C); to the activation layout (1, 2C, B, 1).
            var embed = Linear(condMish, $"{p}.cond_encoder.1");
            var film = b.Node("Unsqueeze", $"{p}.cond_encoder.2",
                [b.Node("Transpose", $"{p}.cond_encoder.t", [embed], OnnxGraphBuilder.Ints("perm", 1, 0)), Axes(0, 3)]);
            if (_config.CondPredictScale)
            {
                // The reference's reshape (B, 2, C, 1) then [:, 0] and [:, 1] = the two halves of the 2C axis.
                var parts = b.Nodes("Split", [$"{p}.film_scale", $"{p}.film_bias"], [film], OnnxGraphBuilder.Int("axis", 1));
                h = b.Node("Mul", $"{p}.film_mul", [parts[0], h]);
                h = b.Node("Add", $"{p}.film", [h, parts[1]]);
            }
            else
            {
                h = b.Node("Add", $"{p}.film", [h, film]);
            }
            h = Conv1dBlock(h, $"{p}.blocks.1", cout);
            var residual = cin != cout ? Conv(x, $"{p}.residual_conv", padding: 0, stride: 1) : x;
            return b.Node("Add", $"{p}.out", [h, residual]);
        }

        /// <summary>Conv1d(k, padding k/2) -> GroupNorm(G) -> Mish.   (1, C_in, B, T) -> (1, C, B, T)</summary>
        private string Conv1dBlock(string x, string p, int channels)
        {
            var h = Conv(x, $"{p}.block.0", padding: _config.KernelSize / 2, stride: 1);
            h = GroupNorm(h, $"{p}.block.1", channels);
            return Mish(h, $"{p}.block.2");
        }

        /// <summary>
        /// nn.GroupNorm(G, C) per batch row: (1, C, B, T) -> (B, C, 1, T) -> (B, G, C/G * T) -> InstanceNormalization
        /// (unit scale, zero bias, eps 1e-5; statistics per (b, g), biased variance, as PyTorch) -> back -> * gamma + beta.
        /// </summary>
        private string GroupNorm(string x, string p, int channels)
        {
            var b = Builder;
            int groups = _config.NGroups;
            var rows = b.Node("Transpose", $"{p}.rows", [x], OnnxGraphBuilder.Ints("perm", 2, 1, 0, 3));       // (B, C, 1, T)
            var grouped = b.Node("Reshape", $"{p}.grouped", [rows, Shape(0, groups, -1)]);                  // (B, G, C/G * T)
            var normed = b.Node("InstanceNormalization", $"{p}.normed",
                [grouped, Constant($"unit_scale_{groups}", Enumerable.Repeat(1f, groups).ToArray()), Constant($"zero_bias_{groups}", new float[groups])],
                OnnxGraphBuilder.Float("epsilon", GroupNormEpsilon));
            var back = b.Node("Reshape", $"{p}.ungrouped", [normed, Shape(0, channels, 1, -1)]);            // (B, C, 1, T)
            var image = b.Node("Transpose", $"{p}.image", [back], OnnxGraphBuilder.Ints("perm", 2, 1, 0, 3));  // (1, C, B, T)
            var gamma = Weight($"{p}.weight", channels, 1, 1);
            var beta = Weight($"{p}.bias", channels, 1, 1);
            return b.Node("Add", $"{p}.affine", [b.Node("Mul", $"{p}.scaled", [image, gamma]), beta]);
        }

        /// <summary>
        /// Mish(x) = x tanh(softplus(x)) (Misra 2019; torch.nn.Mish) in the exact rewrite tanh(ln(1 + n)) =
        /// n (n + 2) / (n (n + 2) + 2) with n = exp(x): opset 17 has no Mish, and ONNX Runtime's Softplus kernel is
        /// scalar while Exp, Add, Mul and Div are vectorised (Softplus was 18 % of a batch-32 forward). exp's argument
        /// is capped at 20, where the ratio is 1 in float32 already, so large x cannot overflow to inf / inf.
        /// </summary>
        private string Mish(string x, string p)
        {
            var b = Builder;
            var two = Constant("two", [2f]);
            var n = b.Node("Exp", $"{p}.exp", [b.Node("Min", $"{p}.capped", [x, Constant("twenty", [20f])])]);
            var m = b.Node("Mul", $"{p}.n_n2", [n, b.Node("Add", $"{p}.n2", [n, two])]);
            var tanhSoftplus = b.Node("Div", $"{p}.tanh_softplus", [m, b.Node("Add", $"{p}.m2", [m, two])]);
            return b.Node("Mul", p, [x, tanhSoftplus]);
        }

        /// <summary>nn.Linear: x W^T + b as Gemm(transB = 1).   (B, in) -> (B, out)</summary>
        private string Linear(string x, string p) =>
            Builder.Node("Gemm", p, [x, Weight($"{p}.weight"), Weight($"{p}.bias")], OnnxGraphBuilder.Int("transB", 1));

        /// <summary>nn.Conv1d as a 2-D Conv with a (1, k) kernel over (1, C, B, T): weight (C_out, C_in, k) -> (C_out, C_in, 1, k).</summary>
        private string Conv(string x, string p, int padding, int stride)
        {
            var shape = _weights.TryGetValue($"{p}.weight", out var w) ? w.shape : [];
            if (shape.Length != 3) throw new InvalidOperationException($"'{p}.weight' should be a Conv1d weight (C_out, C_in, k); got [{string.Join(", ", shape)}]");
            return Builder.Node("Conv", p, [x, Weight($"{p}.weight", shape[0], shape[1], 1, shape[2]), Weight($"{p}.bias")],
                OnnxGraphBuilder.Ints("kernel_shape", 1, shape[2]), OnnxGraphBuilder.Ints("pads", 0, padding, 0, padding),
                OnnxGraphBuilder.Ints("strides", 1, stride));
        }

        /// <summary>
        /// nn.ConvTranspose1d(C, C, 4, stride 2, padding 1) as a 2-D ConvTranspose with a (1, 4) kernel: weight
        /// (C_in, C_out, k) -> (C_in, C_out, 1, k); T -> (T - 1) 2 - 2 + 4 = 2T.
        /// </summary>
        private string ConvTranspose(string x, string p)
        {
            var shape = _weights.TryGetValue($"{p}.weight", out var w) ? w.shape : [];
            if (shape.Length != 3) throw new InvalidOperationException($"'{p}.weight' should be a ConvTranspose1d weight (C_in, C_out, k); got [{string.Join(", ", shape)}]");
            return Builder.Node("ConvTranspose", p, [x, Weight($"{p}.weight", shape[0], shape[1], 1, shape[2]), Weight($"{p}.bias")],
                OnnxGraphBuilder.Ints("kernel_shape", 1, shape[2]), OnnxGraphBuilder.Ints("pads", 0, 1, 0, 1), OnnxGraphBuilder.Ints("strides", 1, 2));
        }

        /// <summary>The initializer of a weight, optionally reshaped (same values, row-major).</summary>
        private string Weight(string name, params long[] shape)
        {
            if (!_weights.TryGetValue(name, out var t))
                throw new InvalidOperationException($"the network has no weight '{name}' (known: {_weights.Count} tensors)");
            if (!_used.Add(name)) throw new InvalidOperationException($"weight '{name}' would be written twice");
            using var scope = NewDisposeScope();
            var data = t.detach().to(float32).cpu().contiguous().data<float>().ToArray();
            long[] dims = shape.Length > 0 ? shape : t.shape;
            return Builder.Initializer(name, data, dims);
        }

        /// <summary>A float constant shared by every node that needs it.</summary>
        private string Constant(string name, float[] values)
        {
            if (!_constants.TryGetValue(name, out var id))
                _constants[name] = id = Builder.Initializer(name, values, values.Length);
            return id;
        }

        /// <summary>An int64 axes list for Unsqueeze/Squeeze (an input since opset 13), shared.</summary>
        private string Axes(params long[] axes) => Int64Constant("axes_" + string.Join("_", axes), axes);

        /// <summary>A Reshape target (0 copies the input's size, -1 is inferred), shared.</summary>
        private string Shape(params long[] dims) => Int64Constant("shape_" + string.Join("_", dims).Replace('-', 'm'), dims);

        private string Int64Constant(string name, long[] values)
        {
            if (!_constants.TryGetValue(name, out var id))
                _constants[name] = id = Builder.Int64s(name, values);
            return id;
        }
    }
}
