using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Robotics;
using ProtoTensor = ImmisciblePolicy.Protos.Planning.Tensor;

namespace ImmisciblePolicy.Robots.Planning;

/// <summary>Explicit mapping between the robot's domain values and the planning wire messages.</summary>
public static class PlanningMessages
{
    /// <summary>An observation window [To][Do] as a row-major float32 tensor (exact: the policy computes in float32 too).</summary>
    public static ProtoTensor Window(IReadOnlyList<double[]> window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (window.Count == 0) throw new ArgumentException("an observation window needs at least one observation; got none", nameof(window));
        int d = window[0].Length;
        var t = new ProtoTensor();
        t.Shape.Add(window.Count);
        t.Shape.Add(d);
        for (int i = 0; i < window.Count; i++)
        {
            if (window[i].Length != d)
                throw new ArgumentException($"observation {i} of the window has {window[i].Length} values; observation 0 has {d}", nameof(window));
            foreach (double x in window[i]) t.Values.Add((float)x);
        }
        return t;
    }

    /// <summary>A plan request for one window whose newest observation is at <paramref name="timestep"/>.</summary>
    /// <param name="seed">fixes the sampler's noise (reproducible whatever the request is batched with); null = the session's seed for this timestep.</param>
    public static PlanRequest Request(string policyId, string session, IReadOnlyList<double[]> window, long timestep, long? seed, int? inferenceSteps = null)
    {
        var request = new PlanRequest
        {
            PolicyId = policyId,
            SessionId = session,
            Observation = Window(window),
            ObservationTime = Timestamp.FromDateTime(DateTime.UtcNow),
            Timestep = timestep,
        };
        if (seed is not null || inferenceSteps is not null)
        {
            request.Sampler = new SamplerSettings { Steps = inferenceSteps ?? 0 };
            if (seed is long s) request.Sampler.Seed = s;
        }
        return request;
    }

    /// <summary>
    /// A plan request for one window of full observations: the states as the observation tensor and, when the steps carry
    /// camera frames, one <see cref="ObservationImages"/> per step with every frame as raw HWC uint8 bytes (exact, no
    /// encoding cost; 27 KB per 96 x 96 RGB frame).
    /// </summary>
    public static PlanRequest Request(string policyId, string session, IReadOnlyList<Observation> window, long timestep, long? seed, int? inferenceSteps = null)
    {
        ArgumentNullException.ThrowIfNull(window);
        var request = Request(policyId, session, window.Select(o => o.State).ToArray(), timestep, seed, inferenceSteps);
        if (window.All(o => o.Images.Count == 0)) return request;
        foreach (var observation in window)
        {
            var step = new ObservationImages();
            foreach (var frame in observation.Images)
                step.Cameras[frame.Camera] = new Image
                {
                    Height = frame.Height,
                    Width = frame.Width,
                    Channels = frame.Channels,
                    Encoding = ImageEncoding.RawHwcUint8,
                    Data = ByteString.CopyFrom(frame.Pixels),
                };
            request.Images.Add(step);
        }
        return request;
    }

    /// <summary>The reply's Ta action steps as the queue's (timestep, action) entries, in task units.</summary>
    public static TimedAction[] Actions(PlanResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Actions.Select(a => new TimedAction(a.Timestep, a.Values.Select(v => (double)v).ToArray())).ToArray();
    }
}
