using System.CommandLine;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;

namespace ImmisciblePolicy.Cli.Commands;

/// <summary><c>immiscible info</c>: what libtorch this process runs on, so a user can check a machine.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: IMMISCIBLE_THREADS or all cores)" };
        var cmd = new Command("info", "Print the torch runtime this machine gives: threads, CUDA, a smoke computation.") { threads };
        cmd.SetAction(parse =>
        {
            int n = TorchRuntime.Configure(parse.GetValue(threads));
            using var scope = torch.NewDisposeScope();
            var x = torch.arange(6, dtype: torch.float32).reshape(2, 3);
            var y = x.matmul(x.T).sum().item<float>(); // [[0,1,2],[3,4,5]] x its transpose sums to 5 + 14 + 14 + 50 = 83
            Console.WriteLine($"threads: {n}");
            Console.WriteLine($"cuda available: {torch.cuda.is_available()}");
            Console.WriteLine($"smoke: sum(X X^T) = {y} (expected 83)");
            return y == 83f ? 0 : 1;
        });
        return cmd;
    }
}
