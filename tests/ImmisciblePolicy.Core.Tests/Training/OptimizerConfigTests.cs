using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Training;

public class OptimizerConfigTests
{
    [Fact]
    public void Defaults_AreThePublishedDiffusionPolicySettings()
    {
        var c = new OptimizerConfig();
        Assert.Equal((1e-4, 0.95, 0.999, 1e-8, 1e-6, 500L), (c.LearningRate, c.Beta1, c.Beta2, c.Eps, c.WeightDecay, c.WarmupSteps));
    }

    [Fact]
    public void CreateAdamW_TwoSteps_MatchDecoupledAdamWFormula()
    {
        // Large lr and weight decay so that every setting visibly moves the result; betas stay published.
        TorchRuntime.Configure(1);
        var config = new OptimizerConfig { LearningRate = 0.1, WeightDecay = 0.5 };
        using var p = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0 }));
        using var optimizer = config.CreateAdamW([p]);
        double x = 1.0, m = 0, v = 0;
        double[] grads = [0.5, -1.0];
        for (int t = 1; t <= grads.Length; t++)
        {
            optimizer.zero_grad();
            using (var loss = (p * grads[t - 1]).sum()) loss.backward();  // dL/dp = g
            optimizer.step();
            // PyTorch AdamW: p -= lr wd p; m, v moments; p -= lr mhat / (sqrt(vhat) + eps).
            double g = grads[t - 1];
            x -= config.LearningRate * config.WeightDecay * x;
            m = config.Beta1 * m + (1 - config.Beta1) * g;
            v = config.Beta2 * v + (1 - config.Beta2) * g * g;
            double mHat = m / (1 - Math.Pow(config.Beta1, t)), vHat = v / (1 - Math.Pow(config.Beta2, t));
            x -= config.LearningRate * mHat / (Math.Sqrt(vHat) + config.Eps);
            Assert.Equal(x, p.item<double>(), 12);
        }
    }

    [Fact]
    public void CreateSchedule_UsesPeakRateAndWarmup()
    {
        var schedule = new OptimizerConfig().CreateSchedule(totalSteps: 2_000);
        Assert.Equal(1e-4, schedule.LearningRate(500), 15);
        Assert.Equal(0.5e-4, schedule.LearningRate(250), 15);
    }

    [Fact]
    public void Validate_WithBetaOne_NamesTheSetting()
    {
        var e = Assert.Throws<ArgumentException>(() => new OptimizerConfig { Beta2 = 1.0 }.Validate());
        Assert.Equal("Beta2", e.ParamName);
    }
}
