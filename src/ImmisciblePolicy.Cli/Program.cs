using System.CommandLine;
using ImmisciblePolicy.Cli.Commands;

namespace ImmisciblePolicy.Cli;

/// <summary>The <c>immiscible</c> tool: one entry point, a subcommand per job.</summary>
public static class Program
{
    public static int Main(string[] args) => CreateRoot().Parse(args).Invoke();

    /// <summary>The command tree (tests parse the command lines the container images run against it).</summary>
    public static RootCommand CreateRoot() =>
        new RootCommand("ImmisciblePolicy: immiscible diffusion training, diffusion-policy planners and their serving.")
        {
            InfoCommand.Create(),
            DataCommand.Create(),
            TrainCommand.Create(),
            EvalCommand.Create(),
            ExportCommand.Create(),
            DemoCommand.Create(),
            SimCommand.Create(),
            TelemetryCommand.Create(),
            HealthCommand.Create(),
            BenchAssignCommand.Create(),
            ServeCommand.Create(),
            ImageCommand.Create(),
            StudyCommand.Create(),
        };
}
