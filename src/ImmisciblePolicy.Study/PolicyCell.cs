using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Robotics;
using ImmisciblePolicy.Sim.Bimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Study;

/// <summary>
/// A policy cell: scripted demonstrations (seeds 0 ..; identical for every method), Diffusion Policy training with
/// the method's pairing, closed-loop scoring of the EMA checkpoint at every eval step on the 100000.. test seeds.
/// </summary>
internal static class PolicyCell
{
    /// <summary>The run config of a cell (network, optimiser and seed are the same for every method).</summary>
    public static PolicyRunConfig Config(StudyCell cell) => new()
    {
        Task = StudyTasks.SimTask(cell.Task),
        Noise = cell.Method.NoiseFor(cell.Budget.Steps),
        Policy = new DiffusionPolicyConfig { Unet = new UnetConfig { DownDims = cell.Budget.Widths, DiffusionStepEmbedDim = cell.Budget.StepEmbedDim } },
        Trainer = new TrainerConfig
        {
            Steps = cell.Budget.Steps, BatchSize = cell.Budget.BatchSize, Seed = cell.Seed, CheckpointEvery = cell.Budget.EvalEvery,
            LogEvery = Math.Max(1, Math.Min(100, cell.Budget.EvalEvery / 2)),
            Optimizer = new OptimizerConfig { LearningRate = cell.Budget.LearningRate, WarmupSteps = cell.Budget.WarmupSteps },
        },
    };

    public static void Run(StudyCell cell, CellSession session, Action<string> log, CancellationToken ct)
    {
        var b = cell.Budget;
        var task = StudyTasks.SimTask(cell.Task);
        // ModeMix null: the first study's demonstrations (Push-T's unimodal expert, bimodal sides alternating); set: the
        // multimodal expert with that mix (Push-T clockwise share, bimodal left share).
        var options = new DemonstrationOptions { ModeMix = b.ModeMix };
        var report = DemonstrationGenerator.Generate(task, b.DemoEpisodes, 0, onlySuccessful: false, cancellationToken: ct, options: options);
        var demo = report.Dataset;
        log($"demonstrations: {b.DemoEpisodes} {task} expert episodes, expert success {report.SuccessRate:P1}" +
            (demo.HasModes ? ", modes " + string.Join(", ", demo.ModeShares.Select(m => $"{m.Mode} {m.Share:P1}")) : ""));
        var config = PolicyTraining.FitShapes(Config(cell), demo);
        var p = config.Policy;
        var sampler = new SequenceSampler(demo, new SequenceHorizons(p.ObsSteps, p.Horizon, p.ActionSteps));
        var actionNormalizer = PolicyTraining.FitActionNormalizer(demo); // the training run's own normaliser

        if (session.Record.Miscibility is null)
        {
            // The batch as the assigner sees it in training: normalised action chunks (B, Tp, Da), times the data scale.
            var batch = sampler.SampleBatch(b.BatchSize, new Random(12345));
            using var scope = NewDisposeScope();
            var x0 = tensor(actionNormalizer.Normalize(batch.Actions)).reshape(batch.BatchSize, p.Horizon, p.ActionDim).mul(config.Noise.DataScale);
            // The observation windows as the conditional pairings see them (B, To * Do); raw units suffice because the
            // observation-aware cost standardises each coordinate over the batch.
            var condition = tensor(batch.Observations).reshape(batch.BatchSize, -1);
            session.SetMiscibility(PairingProbes.Miscibility(config.Noise, x0, b.MiscibilityRepeats, cell.Seed, condition));
            log($"miscibility: {Describe(session.Record.Miscibility!)}");
        }

        var evalSteps = b.EvalSteps().ToHashSet();
        void Score(long step, string dir)
        {
            if (!evalSteps.Contains(step) || session.HasPoint(step)) return;
            using var policy = PolicyCheckpoint.Load(dir);
            var r = PolicyEvaluator.Evaluate(policy, task, new EvaluationConfig(b.EvalEpisodes).For(policy.Config), cancellationToken: ct);
            var metrics = new Dictionary<string, double>
            {
                [StudyMetrics.Score] = r.Score,
                [StudyMetrics.Success] = r.SuccessRate,
            };
            if (task == SimTaskKind.Bimodal)
            {
                var f = r.ModeFrequencies;
                metrics[StudyMetrics.ModeLeft] = f[TaskModes.Name(ReachMode.Left)];
                metrics[StudyMetrics.ModeRight] = f[TaskModes.Name(ReachMode.Right)];
                metrics[StudyMetrics.ModeNone] = f[TaskModes.Unclassified];
                if (double.IsFinite(r.ModeTotalVariation)) metrics[StudyMetrics.ModeTv] = r.ModeTotalVariation;
            }
            if (demo.HasModes)
            {
                // Every mode's share of all test episodes (key mode:<name>, "none" = unclassified) and the distance of
                // the classified rollouts' mix to the demonstrations' (the Immiscible Diffusion Policy paper's metric).
                foreach (var (mode, share) in r.ModeFrequencies) metrics[StudyMetrics.ModeShare(mode)] = share;
                foreach (var (mode, share) in demo.ModeShares) metrics[StudyMetrics.DemonstrationShare(mode)] = share;
                if (double.IsFinite(r.ModeTotalVariationToDemonstrations)) metrics[StudyMetrics.ModeTvDemo] = r.ModeTotalVariationToDemonstrations;
                if (double.IsFinite(r.ModeTotalVariation)) metrics[StudyMetrics.ModeTv] = r.ModeTotalVariation;
            }
            session.AddPoint(step, metrics);
            log($"step {step}: score {r.Score:F3}, success {r.SuccessRate:P0} ({b.EvalEpisodes} episodes), train time {session.TrainSeconds:F0} s" +
                (demo.HasModes ? ", modes " + string.Join(", ", r.ModeFrequencies.Select(m => $"{m.Key} {m.Value:P0}")) +
                                 $", TV to demonstrations {r.ModeTotalVariationToDemonstrations:F3}" : ""));
        }

        var checkpoint = Path.Combine(session.Directory, "checkpoint");
        session.CatchUp(checkpoint, evalSteps, Score);
        session.StartClock();
        using var final = PolicyTraining.Train(config, demo, checkpoint,
            progress => log($"  step {progress.Step}/{progress.TotalSteps} loss {progress.Loss:F4} {progress.StepsPerSecond:F1} steps/s"),
            (step, dir) =>
            {
                session.StopClock();
                Score(step, dir);
                session.StartClock();
            }, resume: true, ct, log);
        session.StopClock();
        session.CatchUp(checkpoint, evalSteps, Score);

        if (session.Record.Bijective.Count == 0)
        {
            // Deterministic DDIM (eta 0) from fixed starting chunks, for fixed observation windows of the demonstrations.
            var windows = sampler.SampleBatch(b.BijectiveItems, new Random(4242));
            var ddim = new DiffusionPolicy(final.Network, new DdimScheduler(final.Config.EffectiveSchedule), new VanillaNoise(), final.Config.Policy);
            using var scope = NewDisposeScope();
            var obs = tensor(final.ObservationNormalizer.Normalize(windows.Observations)).reshape(windows.BatchSize, p.ObsSteps, p.ObsDim);
            double scale = config.Noise.DataScale;
            var records = PairingProbes.Bijective(noise => ddim.PredictActionChunk(obs, final.Config.InferenceSteps, null, noise).Chunk.div(scale),
                [windows.BatchSize, p.Horizon, p.ActionDim], null, 777);
            session.SetBijective(records);
            log("bijective: " + string.Join(", ", records.Select(r => $"{r.Perturbation:P0} -> rms {r.RmsChange:F4}")));
        }
        session.Complete();
    }

    internal static string Describe(MiscibilityRecord m) =>
        $"D={m.Dimension}, pair distance {m.VanillaPairDistance:F3} -> {m.AssignedPairDistance:F3} ({m.ReductionPercent:F2} % shorter), " +
        $"cluster separation {m.ClusterSeparation:F3} (vanilla {m.VanillaClusterSeparation:F3}), assign {m.AssignMillisecondsPerBatch:F3} ms vs draw {m.DrawMillisecondsPerBatch:F3} ms";
}
