using System.Globalization;
using ImmisciblePolicy.Onnx.Ir;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Networks;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Onnx;

/// <summary>
/// The denoiser's forward pass in ONNX Runtime: an <see cref="IDenoiser"/> over an inference session of an exported
/// <see cref="ConditionalUnet1D"/> (ours, <see cref="OnnxExporter"/>, or any file with the same interface, such as
/// <c>torch.onnx.export</c> of diffusion_policy's module). Inputs and the output are TorchSharp tensors whose native
/// buffers ONNX Runtime reads and writes in place (no copies), so the sampling loop around it stays in TorchSharp.
/// <see cref="forward"/> may be called from several threads at once (InferenceSession.Run is thread-safe).
/// </summary>
public sealed class OnnxDenoiser : IDenoiser
{
    private static readonly string[] InputNames = [OnnxExporter.SampleInput, OnnxExporter.TimestepInput, OnnxExporter.GlobalCondInput];

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _outputNames;
    private int _disposed;

    private OnnxDenoiser(InferenceSession session, SessionOptions sessionOptions, string source, OnnxEngineOptions options,
        UnetConfig config, long parameterCount, IReadOnlyDictionary<string, string> metadata)
    {
        _session = session;
        _sessionOptions = sessionOptions;
        Source = source;
        Options = options;
        Config = config;
        ParameterCount = parameterCount;
        Metadata = metadata;
        _outputNames = [session.OutputMetadata.Keys.Single()];
    }

    /// <inheritdoc/>
    public UnetConfig Config { get; }

    /// <inheritdoc/>
    public PolicyEngine Engine => PolicyEngine.Onnx;

    /// <summary>
    /// Parameter count from the file's metadata; for a file without it (a foreign export), the number of float
    /// values in its initializers, which may include a few constants besides the weights.
    /// </summary>
    public long ParameterCount { get; }

    /// <summary>Where the model came from: a file path or a description of the in-memory export.</summary>
    public string Source { get; }

    /// <summary>The session settings.</summary>
    public OnnxEngineOptions Options { get; }

    /// <summary>The model's metadata_props (empty for a file that has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens an exported .onnx file.</summary>
    /// <param name="path">the model file.</param>
    /// <param name="options">session settings; null = defaults (CPU, one thread, all graph optimisations).</param>
    /// <param name="expectedConfig">
    /// the U-Net the caller expects; required for a file without <see cref="OnnxMetadata.UnetConfig"/> metadata,
    /// and checked against the metadata otherwise.
    /// </param>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="InvalidDataException">the file is not an ONNX model, or its interface or metadata do not fit.</exception>
    public static OnnxDenoiser Load(string path, OnnxEngineOptions? options = null, UnetConfig? expectedConfig = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"ONNX model not found: {path}", full);
        return Open(full, s => new InferenceSession(full, s), () => File.ReadAllBytes(full), options, expectedConfig);
    }

    /// <summary>Opens a serialised ONNX model held in memory; <paramref name="source"/> names it in errors.</summary>
    public static OnnxDenoiser FromBytes(byte[] model, string source, OnnxEngineOptions? options = null, UnetConfig? expectedConfig = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        return Open(source, s => new InferenceSession(model, s), () => model, options, expectedConfig);
    }

    /// <summary>Exports <paramref name="network"/> in memory (<see cref="OnnxExporter.Export"/>) and opens it.</summary>
    public static OnnxDenoiser FromNetwork(ConditionalUnet1D network, OnnxEngineOptions? options = null,
        IEnumerable<KeyValuePair<string, string>>? metadata = null, string source = "in-memory export")
    {
        ArgumentNullException.ThrowIfNull(network);
        return FromBytes(OnnxExporter.Export(network, metadata), source, options, network.Config);
    }

    /// <summary>Builds the session options: threads, graph optimisation, execution provider.</summary>
    /// <exception cref="NotSupportedException">CUDA was asked for but this ONNX Runtime build has no CUDA provider.</exception>
    public static SessionOptions CreateSessionOptions(OnnxEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var s = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = options.Optimization,
        };
        try
        {
            s.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
            if (options.Device == OnnxDevice.Cuda)
            {
                try
                {
                    s.AppendExecutionProvider_CUDA(options.DeviceId);
                }
                catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
                {
                    throw new NotSupportedException(
                        $"the CUDA execution provider (device {options.DeviceId}) is not available in this ONNX Runtime build: " +
                        "reference Microsoft.ML.OnnxRuntime.Gpu.Linux (or .Gpu.Windows) 1.31.0 instead of Microsoft.ML.OnnxRuntime " +
                        $"and install CUDA 12 and cuDNN 9 (docs/onnx.md). ONNX Runtime said: {e.Message}", e);
                }
            }
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    private static OnnxDenoiser Open(string source, Func<SessionOptions, InferenceSession> create, Func<byte[]> bytes,
        OnnxEngineOptions? options, UnetConfig? expectedConfig)
    {
        options ??= new OnnxEngineOptions();
        var sessionOptions = CreateSessionOptions(options);
        InferenceSession session;
        try
        {
            session = create(sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            sessionOptions.Dispose();
            throw new InvalidDataException($"{source} is not a loadable ONNX model: {e.Message}", e);
        }
        try
        {
            var metadata = session.ModelMetadata.CustomMetadataMap;
            var config = ResolveConfig(source, metadata, expectedConfig);
            CheckInterface(source, session, config);
            long parameters = metadata.TryGetValue(OnnxMetadata.ParameterCount, out var count)
                              && long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : CountFloatInitializers(bytes());
            return new OnnxDenoiser(session, sessionOptions, source, options, config, parameters,
                new Dictionary<string, string>(metadata, StringComparer.Ordinal));
        }
        catch
        {
            session.Dispose();
            sessionOptions.Dispose();
            throw;
        }
    }

    private static UnetConfig ResolveConfig(string source, Dictionary<string, string> metadata, UnetConfig? expected)
    {
        if (!metadata.TryGetValue(OnnxMetadata.UnetConfig, out var json))
            return expected ?? throw new InvalidDataException(
                $"{source} has no '{OnnxMetadata.UnetConfig}' metadata (not exported by `immiscible export onnx`); pass the U-Net config it was exported for");
        var stored = OnnxMetadata.ConfigFromJson(json, source);
        if (expected is not null && !stored.Equals(expected))
            throw new InvalidDataException(
                $"{source} was exported for a different network: its '{OnnxMetadata.UnetConfig}' metadata says {stored} but {expected} is expected");
        return stored;
    }

    /// <summary>Checks names, element types, ranks and fixed sizes of the graph's inputs and output against the config.</summary>
    private static void CheckInterface(string source, InferenceSession session, UnetConfig config)
    {
        var inputs = session.InputMetadata;
        string Describe(IReadOnlyDictionary<string, NodeMetadata> values) =>
            string.Join(", ", values.Select(kv => $"{kv.Key} {kv.Value.ElementDataType} ({string.Join(", ", Dims(kv.Value))})"));
        if (inputs.Count != 3 || !InputNames.All(inputs.ContainsKey))
            throw new InvalidDataException(
                $"{source} has inputs [{Describe(inputs)}]; a denoiser needs exactly sample, timestep and global_cond");
        void Check(string name, NodeMetadata m, TensorElementType type, int rank, int fixedAxis, long size, string layout)
        {
            var dims = m.Dimensions;
            bool ok = m.IsTensor && m.ElementDataType == type && dims.Length == rank
                      && (fixedAxis < 0 || dims[fixedAxis] == size || dims[fixedAxis] < 0);
            if (!ok)
                throw new InvalidDataException(
                    $"{source}: '{name}' is {m.ElementDataType} ({string.Join(", ", Dims(m))}) but the config {config} needs {type} {layout}");
        }
        Check(OnnxExporter.SampleInput, inputs[OnnxExporter.SampleInput], TensorElementType.Float, 3, 2, config.InputDim, $"(batch, horizon, {config.InputDim})");
        Check(OnnxExporter.TimestepInput, inputs[OnnxExporter.TimestepInput], TensorElementType.Int64, 1, -1, 0, "(batch)");
        Check(OnnxExporter.GlobalCondInput, inputs[OnnxExporter.GlobalCondInput], TensorElementType.Float, 2, 1, config.GlobalCondDim, $"(batch, {config.GlobalCondDim})");
        var outputs = session.OutputMetadata;
        if (outputs.Count != 1)
            throw new InvalidDataException($"{source} has outputs [{Describe(outputs)}]; a denoiser has exactly one (batch, horizon, Da) output");
        var (outName, output) = outputs.Single();
        Check(outName, output, TensorElementType.Float, 3, 2, config.InputDim, $"(batch, horizon, {config.InputDim})");
    }

    private static IEnumerable<string> Dims(NodeMetadata m) => m.Dimensions.Select((d, i) =>
        d >= 0 ? d.ToString(CultureInfo.InvariantCulture)
            : m.SymbolicDimensions.Length > i && !string.IsNullOrEmpty(m.SymbolicDimensions[i]) ? m.SymbolicDimensions[i] : "?");

    private static long CountFloatInitializers(byte[] model)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        return proto.Graph?.Initializer
            .Where(t => t.DataType == (int)TensorProto.Types.DataType.Float)
            .Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d)) ?? 0;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">a shape does not fit <see cref="Config"/>; the message names it.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed; the message carries its error.</exception>
    public Tensor forward(Tensor sample, Tensor timesteps, Tensor globalCond)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(globalCond);
        // The same checks and messages as ConditionalUnet1D.forward.
        if (sample.ndim != 3 || sample.shape[2] != Config.InputDim)
            throw new ArgumentException(
                $"expected sample of shape (B, T, {Config.InputDim}); got ({string.Join(", ", sample.shape)})", nameof(sample));
        long b = sample.shape[0], horizon = sample.shape[1];
        if (b < 1) throw new ArgumentException("sample must hold at least one chunk; got B = 0", nameof(sample));
        if (horizon < 1 || horizon % Config.HorizonMultiple != 0)
            throw new ArgumentException(
                $"sample horizon T must be a positive multiple of 2^(levels-1) = {Config.HorizonMultiple}; got T={horizon}", nameof(sample));
        if (timesteps.ndim > 1 || (timesteps.ndim == 1 && timesteps.shape[0] != b && timesteps.shape[0] != 1))
            throw new ArgumentException(
                $"expected timesteps of shape ({b}), (1) or a scalar; got ({string.Join(", ", timesteps.shape)})", nameof(timesteps));
        if (globalCond.ndim != 2 || globalCond.shape[0] != b || globalCond.shape[1] != Config.GlobalCondDim)
            throw new ArgumentException(
                $"expected globalCond of shape ({b}, {Config.GlobalCondDim}); got ({string.Join(", ", globalCond.shape)})", nameof(globalCond));

        using var scope = NewDisposeScope();
        var x = sample.to(float32, CPU).contiguous();                                   // (B, T, Da)
        var t = timesteps.to(int64, CPU).reshape(-1).expand(b).contiguous();            // (B)
        var g = globalCond.to(float32, CPU).contiguous();                               // (B, G)
        var y = empty([b, horizon, Config.InputDim], float32);                          // (B, T, Da), written by ORT
        Run(x, t, g, y);
        return y.to(sample.device).MoveToOuterDisposeScope();
    }

    private unsafe void Run(Tensor x, Tensor t, Tensor g, Tensor y)
    {
        var cpu = OrtMemoryInfo.DefaultInstance;
        // The tensors' native buffers do not move (libtorch owns them), so OrtValues can wrap them directly.
        fixed (byte* px = x.bytes, pt = t.bytes, pg = g.bytes, py = y.bytes)
        {
            using var xv = OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, x.shape, (IntPtr)px, x.numel() * sizeof(float));
            using var tv = OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Int64, t.shape, (IntPtr)pt, t.numel() * sizeof(long));
            using var gv = OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, g.shape, (IntPtr)pg, g.numel() * sizeof(float));
            using var yv = OrtValue.CreateTensorValueWithData(cpu, TensorElementType.Float, y.shape, (IntPtr)py, y.numel() * sizeof(float));
            try
            {
                _session.Run(_runOptions, InputNames, [xv, tv, gv], _outputNames, [yv]);
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidOperationException(
                    $"ONNX Runtime failed to run {Source} on sample ({string.Join(", ", x.shape)}): {e.Message}", e);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _session.Dispose();
        _runOptions.Dispose();
        _sessionOptions.Dispose();
    }
}
