using ImmisciblePolicy.Cli;
using ImmisciblePolicy.Protos.Planning;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>
/// No Docker engine or cluster runs here, so the deployment files are checked the way they can be: parsed
/// as YAML, cross-referenced (labels, ports, volumes, config keys), and every `immiscible` command line the
/// images and manifests run is parsed against the real command tree.
/// </summary>
public sealed class DeploymentManifestTests
{
    private static readonly string Docker = Path.Combine(RepositoryRoot(), "docker");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImmisciblePolicy.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no ImmisciblePolicy.sln above {AppContext.BaseDirectory}");
    }

    private static List<Dictionary<object, object>> Documents(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        using var reader = new StreamReader(path);
        var parser = new MergingParser(new Parser(reader));
        parser.Consume<StreamStart>();
        var docs = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
            if (deserializer.Deserialize<Dictionary<object, object>?>(parser) is { } doc) docs.Add(doc);
        return docs;
    }

    private static Dictionary<object, object> Map(object node, string what) =>
        node as Dictionary<object, object> ?? throw new InvalidDataException($"{what} is not a mapping");

    private static object At(object node, params string[] path)
    {
        foreach (var key in path)
            node = Map(node, key).TryGetValue(key, out var next) ? next : throw new KeyNotFoundException($"missing key '{key}' (path {string.Join(".", path)})");
        return node;
    }

    private static string[] Strings(object node) => ((List<object>)node).Select(o => (string)o).ToArray();

    /// <summary>Asserts that an `immiscible` command line parses without errors.</summary>
    private static void AssertParses(IEnumerable<string> args)
    {
        var line = args.ToArray();
        var errors = Program.CreateRoot().Parse(line).Errors.Select(e => e.Message).ToArray();
        Assert.True(errors.Length == 0, $"`immiscible {string.Join(' ', line)}`: {string.Join("; ", errors)}");
    }

    [Fact]
    public void Compose_RunsServerRobotsAndRecorder_WithCommandsTheCliAccepts()
    {
        var compose = Assert.Single(Documents(Path.Combine(Docker, "compose.yaml")));
        var services = Map(At(compose, "services"), "services");
        Assert.Subset(services.Keys.Cast<string>().ToHashSet(), new HashSet<string> { "server", "robots", "recorder" });

        foreach (var name in new[] { "robots", "recorder" })
        {
            var service = services[name];
            Assert.Equal("docker/cli.Dockerfile", At(service, "build", "dockerfile"));   // the merge key brought the CLI image in
            Assert.Equal("service_healthy", At(service, "depends_on", "server", "condition"));
            AssertParses(Strings(At(service, "command")));
        }
        var robots = Strings(At(services["robots"], "command"));
        Assert.Equal("http://server:50051", robots[Array.IndexOf(robots, "--server") + 1]);
        var recorder = Strings(At(services["recorder"], "command"));
        Assert.Equal("tcp://server:5556", recorder[Array.IndexOf(recorder, "--endpoint") + 1]);
        Assert.Equal("tcp://server:5557", robots[Array.IndexOf(robots, "--telemetry") + 1]);

        var health = Strings(At(services["server"], "healthcheck", "test"));
        Assert.Equal(["CMD", "dotnet", "/app/immiscible.dll", "health"], health[..4]);
        AssertParses(health[3..]);
        AssertParses(["serve", .. Strings(At(services["server"], "command"))]);
    }

    [Theory]
    [InlineData("server.Dockerfile")]
    [InlineData("cli.Dockerfile")]
    public void Dockerfiles_AreMultiStage_NonRoot_AndRunCommandsTheCliAccepts(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Docker, file));
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Trim() == "USER $APP_UID");
        if (file != "server.Dockerfile") return;
        var health = lines.SkipWhile(l => !l.StartsWith("HEALTHCHECK", StringComparison.Ordinal)).Skip(1).First().Trim();
        var healthArgs = System.Text.Json.JsonSerializer.Deserialize<string[]>(health["CMD ".Length..])!;
        Assert.Equal(["dotnet", "/app/immiscible.dll", "health"], healthArgs[..3]);
        AssertParses(healthArgs[2..]);
        var entry = System.Text.Json.JsonSerializer.Deserialize<string[]>(lines.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal))["ENTRYPOINT ".Length..])!;
        var cmd = System.Text.Json.JsonSerializer.Deserialize<string[]>(lines.Single(l => l.StartsWith("CMD", StringComparison.Ordinal))["CMD ".Length..])!;
        AssertParses([.. entry[2..], .. cmd]);
    }

    [Fact]
    public void Kubernetes_ServerDeployment_ProbesGrpcHealth_AndEveryReferenceResolves()
    {
        var docs = Directory.GetFiles(Path.Combine(Docker, "k8s"), "*.yaml").SelectMany(Documents).ToList();
        Dictionary<object, object> Kind(string kind) => Assert.Single(docs, d => (string)d["kind"] == kind);
        Dictionary<object, object> Named(string kind, string name) =>
            Assert.Single(docs, d => (string)d["kind"] == kind && (string)At(d, "metadata", "name") == name);
        var deployment = Kind("Deployment");
        var service = Kind("Service");
        var pvc = Named("PersistentVolumeClaim", "immiscible-policies");
        var config = Kind("ConfigMap");

        var labels = Map(At(deployment, "spec", "template", "metadata", "labels"), "pod labels");
        Assert.Equal(Map(At(deployment, "spec", "selector", "matchLabels"), "selector"), labels);
        foreach (var (k, v) in Map(At(service, "spec", "selector"), "service selector")) Assert.Equal(v, labels[k]);
        Assert.Equal("None", At(service, "spec", "clusterIP"));   // headless: robots balance per call over the replicas

        var container = Map(((List<object>)At(deployment, "spec", "template", "spec", "containers"))[0], "container");
        var ports = ((List<object>)container["ports"]).Select(p => Map(p, "port")).ToDictionary(p => (string)p["name"], p => int.Parse((string)p["containerPort"], System.Globalization.CultureInfo.InvariantCulture));
        foreach (var p in (List<object>)At(service, "spec", "ports")) Assert.True(ports.ContainsKey((string)At(p, "targetPort")), $"service targets unknown port {At(p, "targetPort")}");
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            Assert.Equal(ports["grpc"].ToString(System.Globalization.CultureInfo.InvariantCulture), At(container, probe, "grpc", "port"));
        // The readiness probe names the service the server registers with grpc.health.v1.
        Assert.Equal(PlanningService.Descriptor.FullName, At(container, "readinessProbe", "grpc", "service"));

        var volumes = ((List<object>)At(deployment, "spec", "template", "spec", "volumes")).Select(v => Map(v, "volume")).ToList();
        Assert.Contains(volumes, v => v.TryGetValue("persistentVolumeClaim", out var c) && (string)At(c, "claimName") == (string)At(pvc, "metadata", "name"));
        Assert.Equal(At(config, "metadata", "name"), At(((List<object>)container["envFrom"])[0], "configMapRef", "name"));

        // Container args use $(VAR) from the ConfigMap; substituted, they must parse as `immiscible serve ...`.
        var data = Map(config["data"], "config data");
        var args = Strings(container["args"]).Select(a => a.StartsWith("$(", StringComparison.Ordinal) ? (string)data[a[2..^1]] : a).ToArray();
        AssertParses(["serve", .. args]);

        var job = Named("Job", "immiscible-robots");
        var jobArgs = Strings(At(((List<object>)At(job, "spec", "template", "spec", "containers"))[0], "args"));
        AssertParses(jobArgs);
        Assert.StartsWith("dns:///", jobArgs[Array.IndexOf(jobArgs, "--server") + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void Kubernetes_StudyIndexedJob_RunsOneCellPerIndexOfTheFullPreset()
    {
        var docs = Directory.GetFiles(Path.Combine(Docker, "k8s"), "*.yaml").SelectMany(Documents).ToList();
        var job = Assert.Single(docs, d => (string)d["kind"] == "Job" && (string)At(d, "metadata", "name") == "immiscible-study");
        var pvc = Assert.Single(docs, d => (string)d["kind"] == "PersistentVolumeClaim" && (string)At(d, "metadata", "name") == "immiscible-study");
        Assert.Equal("Indexed", At(job, "spec", "completionMode"));
        var container = Map(((List<object>)At(job, "spec", "template", "spec", "containers"))[0], "container");
        var args = Strings(container["args"]);
        AssertParses(args);
        Assert.Equal(["study", "cell"], args.Take(2));
        // The index comes from JOB_COMPLETION_INDEX: no --index/--cell-id may pin every pod to one cell.
        Assert.DoesNotContain("--index", args);
        Assert.DoesNotContain("--cell-id", args);
        var preset = ImmisciblePolicy.Study.StudyPresets.Parse(args[Array.IndexOf(args, "--preset") + 1]);
        Assert.Equal(preset.Cells().Count.ToString(System.Globalization.CultureInfo.InvariantCulture), At(job, "spec", "completions"));
        // Cells write under --out, which must be the mounted shared volume (retries resume from it).
        var output = args[Array.IndexOf(args, "--out") + 1];
        var mount = Map(((List<object>)container["volumeMounts"])[0], "mount");
        Assert.Equal(output, mount["mountPath"]);
        var volume = Map(((List<object>)At(job, "spec", "template", "spec", "volumes"))[0], "volume");
        Assert.Equal(mount["name"], volume["name"]);
        Assert.Equal(At(pvc, "metadata", "name"), At(volume, "persistentVolumeClaim", "claimName"));
        Assert.Contains("ReadWriteMany", Strings(At(pvc, "spec", "accessModes")));
    }
}
