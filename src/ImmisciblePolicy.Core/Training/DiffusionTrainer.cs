using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Training;

/// <summary>Progress of a run, reported every <see cref="TrainerConfig.LogEvery"/> steps.</summary>
/// <param name="Step">steps completed.</param>
/// <param name="TotalSteps">steps of the whole run.</param>
/// <param name="Loss">mean loss over the steps since the last report.</param>
/// <param name="LearningRate">learning rate of the last step.</param>
/// <param name="StepsPerSecond">throughput since the last report.</param>
public sealed record TrainingProgress(long Step, long TotalSteps, double Loss, double LearningRate, double StepsPerSecond)
{
    /// <summary>Estimated time to finish at the current throughput.</summary>
    public TimeSpan Eta => StepsPerSecond > 0 ? TimeSpan.FromSeconds((TotalSteps - Step) / StepsPerSecond) : TimeSpan.Zero;
}

/// <summary>
/// One trainer for every diffusion model here (policies and images): AdamW with a warm-up cosine schedule,
/// an EMA copy of the weights, per-step seeds, and checkpoints that resume bit-identically.
/// </summary>
/// <remarks>
/// The loss is supplied by the caller (a policy's or an image model's "compute loss" entry point); this class
/// owns only the optimisation loop, so the noise pairing (immiscible or not) stays inside the objective.
/// Every step runs inside a dispose scope, so the live tensor count stays flat however long the run.
/// Checkpoint files: <c>model.safetensors</c> (raw weights as <c>model.*</c>, EMA weights as <c>ema_model.*</c>,
/// Diffusion Policy's workspace names), <c>optimizer.bin</c> (TorchSharp's AdamW state),
/// <c>training_state.json</c> (step, EMA step, loss history); the caller adds its own files (config, normaliser).
/// </remarks>
/// <typeparam name="TBatch">what one step consumes.</typeparam>
public sealed class DiffusionTrainer<TBatch> : IDisposable
{
    /// <summary>The loss of one batch: (network, batch, generator for the step's draws, step) -> scalar.</summary>
    public delegate Tensor LossFunction(nn.Module network, TBatch batch, Generator generator, long step);

    private readonly TrainerConfig _config;
    private readonly nn.Module _network;
    private readonly EmaModel _ema;
    private readonly AdamW _optimizer;
    private readonly CosineWarmupSchedule _schedule;
    private readonly LossFunction _loss;
    private readonly Func<long, Random, TBatch> _batch;
    private readonly List<(long Step, double Loss)> _history = [];

    /// <param name="config">run settings.</param>
    /// <param name="network">the online network being trained.</param>
    /// <param name="emaNetwork">a second instance of the same architecture for the EMA weights; it is
    /// initialised from <paramref name="network"/> here.</param>
    /// <param name="loss">the objective.</param>
    /// <param name="batch">draws step s's batch from a Random seeded for that step.</param>
    public DiffusionTrainer(TrainerConfig config, nn.Module network, nn.Module emaNetwork, LossFunction loss, Func<long, Random, TBatch> batch)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(emaNetwork);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(batch);
        config.Validate();
        _config = config;
        _network = network;
        _loss = loss;
        _batch = batch;
        using (no_grad())
        {
            var src = network.state_dict();
            foreach (var (name, t) in emaNetwork.state_dict())
            {
                if (!src.TryGetValue(name, out var from) || !from.shape.SequenceEqual(t.shape))
                    throw new ArgumentException($"EMA network differs from the online network at '{name}'", nameof(emaNetwork));
                t.copy_(from);
            }
        }
        _ema = new EmaModel(emaNetwork, config.Ema);
        _optimizer = config.Optimizer.CreateAdamW(network.parameters());
        _schedule = config.Optimizer.CreateSchedule(config.Steps);
    }

    /// <summary>Steps completed so far.</summary>
    public long Step { get; private set; }

    /// <summary>The EMA network (use it for evaluation, as Diffusion Policy does).</summary>
    public nn.Module EmaNetwork => _ema.Averaged;

    /// <summary>Loss of every completed step.</summary>
    public IReadOnlyList<(long Step, double Loss)> History => _history;

    /// <summary>
    /// Trains until <paramref name="untilStep"/> (default: the configured total), reporting progress and
    /// calling <paramref name="checkpoint"/> every <see cref="TrainerConfig.CheckpointEvery"/> steps and at the end.
    /// </summary>
    public void Run(long? untilStep = null, Action<TrainingProgress>? progress = null, Action<long>? checkpoint = null,
        CancellationToken cancellationToken = default)
    {
        long end = Math.Min(untilStep ?? _config.Steps, _config.Steps);
        var watch = Stopwatch.StartNew();
        double lossSum = 0;
        long lossCount = 0, lastReportStep = Step;
        double lr = 0;
        _network.train();
        while (Step < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long step = Step;
            using (var scope = NewDisposeScope())
            {
                long seed = TrainerConfig.StepSeed(_config.Seed, step);
                var batch = _batch(step, new Random(unchecked((int)seed ^ (int)(seed >> 32))));
                using var generator = new Generator((ulong)seed);
                lr = _schedule.Apply(_optimizer, step);
                _optimizer.zero_grad();
                var loss = _loss(_network, batch, generator, step);
                if (loss.numel() != 1)
                    throw new InvalidOperationException($"the loss must be a scalar; got shape [{string.Join(", ", loss.shape)}]");
                loss.backward();
                _optimizer.step();
                _ema.Step(_network);
                double value = loss.item<float>();
                if (!double.IsFinite(value))
                    throw new InvalidOperationException($"loss became {value} at step {step}; lower the learning rate or check the data");
                _history.Add((step, value));
                lossSum += value;
                lossCount++;
            }
            Step++;
            if (progress is not null && (Step % _config.LogEvery == 0 || Step == end))
            {
                double seconds = watch.Elapsed.TotalSeconds;
                progress(new TrainingProgress(Step, _config.Steps, lossSum / Math.Max(1, lossCount), lr,
                    seconds > 0 ? (Step - lastReportStep) / seconds : 0));
                watch.Restart();
                lossSum = 0; lossCount = 0; lastReportStep = Step;
            }
            if (checkpoint is not null && ((_config.CheckpointEvery > 0 && Step % _config.CheckpointEvery == 0) || Step == end))
                checkpoint(Step);
        }
    }

    /// <summary>Writes the trainer's part of a checkpoint into <paramref name="directory"/> (which must exist).</summary>
    public void SaveState(string directory)
    {
        // Serialising makes CPU/contiguous copies of every weight; the scope frees them when done.
        using var scope = NewDisposeScope();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, t) in UniqueStateDict(_network)) tensors.Add(new("model." + name, t));
        foreach (var (name, t) in UniqueStateDict(_ema.Averaged)) tensors.Add(new("ema_model." + name, t));
        Safetensors.Save(Path.Combine(directory, "model.safetensors"), tensors,
            new Dictionary<string, string> { ["format"] = "pt", ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        _optimizer.save_state_dict(Path.Combine(directory, "optimizer.bin"));
        var state = new TrainingStateFile(Step, _ema.OptimizationStep, _history.Select(h => h.Loss).ToArray(),
            _history.Count > 0 ? _history[0].Step : 0);
        File.WriteAllText(Path.Combine(directory, "training_state.json"), JsonSerializer.Serialize(state));
    }

    /// <summary>Restores weights, EMA, optimiser and step from a checkpoint directory written by <see cref="SaveState"/>.</summary>
    public void LoadState(string directory)
    {
        var statePath = Path.Combine(directory, "training_state.json");
        if (!File.Exists(statePath)) throw new FileNotFoundException($"checkpoint has no training state: {statePath}", statePath);
        var state = JsonSerializer.Deserialize<TrainingStateFile>(File.ReadAllText(statePath))
                    ?? throw new InvalidDataException($"{statePath} is empty");
        LoadWeights(Path.Combine(directory, "model.safetensors"), "model.", _network);
        LoadWeights(Path.Combine(directory, "model.safetensors"), "ema_model.", _ema.Averaged);
        _optimizer.load_state_dict(Path.Combine(directory, "optimizer.bin"));
        _ema.Restore(state.EmaStep);
        Step = state.Step;
        _history.Clear();
        for (int i = 0; i < state.Losses.Length; i++) _history.Add((state.FirstStep + i, state.Losses[i]));
    }

    /// <summary>Copies the tensors under <paramref name="prefix"/> of a safetensors file into <paramref name="network"/>.</summary>
    public static void LoadWeights(string path, string prefix, nn.Module network)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var content = Safetensors.Load(path);
        using var noGrad = no_grad();
        foreach (var (name, t) in UniqueStateDict(network))
        {
            if (!content.Tensors.TryGetValue(prefix + name, out var saved))
                throw new InvalidDataException($"{path} has no tensor '{prefix + name}': the checkpoint is from a different configuration");
            if (!saved.shape.SequenceEqual(t.shape))
                throw new InvalidDataException(
                    $"{path}: '{prefix + name}' has shape [{string.Join(", ", saved.shape)}] but the model expects [{string.Join(", ", t.shape)}]: the checkpoint is from a different configuration");
            t.copy_(saved);
        }
    }

    /// <summary>
    /// The module's state with each tensor once. TorchSharp registers a submodule under every field that holds
    /// it, so a module that also exposes reference names (diffusion_policy's <c>down_modules.0.0.blocks.0...</c>)
    /// lists the same storage under several names. We keep one name per storage, preferring the name with the
    /// fewest private (<c>_field</c>) segments, i.e. the reference name; order follows the state dict.
    /// </summary>
    public static IReadOnlyList<(string Name, Tensor Tensor)> UniqueStateDict(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        static int Private(string name) => name.Split('.').Count(s => s.StartsWith('_'));
        var best = new Dictionary<(long, string), (int Order, string Name, Tensor Tensor)>();
        // Aliases are the same Parameter/buffer object, so its native handle identifies the storage.
        int order = 0;
        foreach (var (name, t) in module.state_dict())
        {
            var key = (t.Handle.ToInt64(), string.Join("x", t.shape));
            if (!best.TryGetValue(key, out var seen)) best[key] = (order, name, t);
            else if (Private(name) < Private(seen.Name)) best[key] = (seen.Order, name, t);
            order++;
        }
        return best.Values.OrderBy(v => v.Order).Select(v => (v.Name, v.Tensor)).ToList();
    }

    /// <inheritdoc />
    public void Dispose() => _optimizer.Dispose();

    private sealed record TrainingStateFile(long Step, long EmaStep, double[] Losses, long FirstStep);
}
