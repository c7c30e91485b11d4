using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// What a camera sees of a task's current scene: fills <paramref name="frame"/> with an H x W x C uint8 image
/// (HWC, RGB) of <paramref name="feature"/>'s size. The seam between simulated tasks and camera features: demonstration
/// recording calls it once per observation, and any renderer (a gym-pusht pixel match, a different viewpoint) can be
/// passed in its place.
/// </summary>
public delegate void SceneCamera(ISimTask task, ImageFeature feature, Span<byte> frame);
