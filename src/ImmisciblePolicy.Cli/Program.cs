using System.CommandLine;
using ImmisciblePolicy.Cli.Commands;

namespace ImmisciblePolicy.Cli;

/// <summary>The <c>immiscible</c> tool: one entry point, a subcommand per job.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("ImmisciblePolicy: immiscible diffusion training, diffusion-policy planners and their serving.")
        {
            InfoCommand.Create(),
            DataCommand.Create(),
            TrainCommand.Create(),
            EvalCommand.Create(),
            DemoCommand.Create(),
            ImageCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
