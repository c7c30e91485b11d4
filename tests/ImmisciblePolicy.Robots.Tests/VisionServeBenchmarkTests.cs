using ImmisciblePolicy.Cli.Benchmarks;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary><c>bench serve</c> on a vision checkpoint: every request carries the policy's camera frames.</summary>
[Collection(ServedVisionPolicyCollection.Name)]
public sealed class VisionServeBenchmarkTests(TinyServedVisionPolicy fx)
{
    [Fact]
    public void Window_of_a_vision_policy_carries_a_rendered_frame_per_camera_and_step()
    {
        var window = ServeBenchmark.Window(fx.InProcess);
        Assert.Equal(fx.Config.Policy.ObsSteps, window.Steps.Count);
        var camera = Assert.Single(fx.InProcess.Cameras);
        foreach (var step in window.Steps)
        {
            var frame = Assert.Single(step.Images);
            Assert.Equal(camera.Name, frame.Camera);
            Assert.Equal(camera.FrameBytes, frame.Pixels.Length);
            Assert.True(frame.Pixels.Distinct().Count() > 2, "the frame is a rendered scene, not a blank image");
        }
    }

    [Fact]
    public async Task Benchmark_plans_a_vision_policy_in_process_and_over_grpc()
    {
        var config = new ServeBenchmarkConfig(LatencySamples: 3, ThroughputSeconds: 0.2, Clients: [2], MaxBatch: 4, TorchThreads: 1, SeededRobots: 2);
        var bench = new ServeBenchmark(fx.PoliciesDirectory, TinyServedVisionPolicy.PolicyId, config, _ => { });
        var (latency, throughput) = await bench.RunAsync(fx.InProcess, CancellationToken.None);

        // In process, batching off and batching on: each row planned every sample (a request without frames would fail).
        Assert.Equal(3, latency.Count);
        Assert.All(latency, r => { Assert.Equal(3, r.Samples); Assert.True(r.P50Ms > 0 && r.P99Ms >= r.P50Ms); });
        Assert.Equal(4, throughput.Count);
        Assert.All(throughput, r => Assert.True(r.Plans > 0));

        var markdown = ServeBenchmark.Markdown(fx.InProcess, "tiny", config, latency, throughput, 1, TimeSpan.FromSeconds(1));
        Assert.Contains("Vision policy: cameras [", markdown);
    }
}
