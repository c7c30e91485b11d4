using System.Security.Cryptography;
using System.Text;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy.Networks;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Onnx;

/// <summary>
/// A fingerprint of a denoiser's weights: SHA-256 over, for each tensor of the state dict in order (reference
/// names, each storage once), its name in UTF-8, a zero byte, and its values as little-endian float32. An exported
/// file carries it (<see cref="OnnxMetadata.WeightsSha256"/>), so a file and a checkpoint can be matched.
/// </summary>
public static class WeightsHash
{
    /// <summary>The lower-case hex SHA-256 of <paramref name="network"/>'s weights.</summary>
    public static string Of(ConditionalUnet1D network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("the weights hash is defined over little-endian float32 bytes");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in DiffusionTrainer<object>.UniqueStateDict(network))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            hash.AppendData(tensor.detach().to(float32).cpu().contiguous().bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
