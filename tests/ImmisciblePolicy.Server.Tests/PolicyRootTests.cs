using Grpc.Core;
using ImmisciblePolicy.Protos.Planning;
using ImmisciblePolicy.Server.Hosting;
using ImmisciblePolicy.Server.Inference;

namespace ImmisciblePolicy.Server.Tests;

/// <summary>Issue 12 defect 5: LoadPolicy read any absolute path and '..'; it is confined to the policy roots.</summary>
[Collection(ServerCollection.Name)]
public sealed class PolicyRootTests(TinyPolicyFixture fx)
{
    private static Metadata Admin => new() { { "x-admin-key", "k" } };

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    [Fact]
    public async Task LoadPolicy_OutsideThePolicyRoots_IsPermissionDenied_SymlinksResolved()
    {
        // root/policies (served, empty) and root/outside/ckpt (a checkpoint the server must not read).
        var root = Directory.CreateTempSubdirectory("immiscible-roots-").FullName;
        try
        {
            var policies = Directory.CreateDirectory(Path.Combine(root, "policies")).FullName;
            var outside = Path.Combine(root, "outside", "ckpt");
            CopyDirectory(fx.CheckpointDirectory, outside);
            CopyDirectory(fx.CheckpointDirectory, Path.Combine(policies, "inside", "ckpt"));
            Directory.CreateSymbolicLink(Path.Combine(policies, "escape"), Path.Combine(root, "outside"));
            Directory.CreateSymbolicLink(Path.Combine(policies, "relative-escape"), "../outside/ckpt");

            await using var server = await PlanningServerHost.StartAsync(fx.Options() with { PoliciesDirectory = policies, AdminKey = "k" });
            using var channel = TinyPolicyFixture.Channel(server);
            var client = TinyPolicyFixture.Client(channel);
            foreach (var dir in new[] { outside, "../outside/ckpt", "inside/../../outside/ckpt", "escape/ckpt", "relative-escape", "/etc", "/nonexistent/x" })
            {
                var e = await Assert.ThrowsAsync<RpcException>(async () =>
                    await client.LoadPolicyAsync(new LoadPolicyRequest { PolicyId = "x", CheckpointDir = dir }, Admin));
                Assert.True(e.StatusCode == StatusCode.PermissionDenied, $"{dir}: {e.StatusCode} {e.Status.Detail}");
                Assert.Contains($"checkpoint_dir '{dir}' is outside the policies directory", e.Status.Detail, StringComparison.Ordinal);
            }
            Assert.DoesNotContain("x", (await client.ListPoliciesAsync(new ListPoliciesRequest())).Policies.Select(p => p.PolicyId));
            // Inside the root (relative or absolute) still loads.
            Assert.Equal("a", (await client.LoadPolicyAsync(new LoadPolicyRequest { PolicyId = "a", CheckpointDir = "inside/ckpt" }, Admin)).PolicyId);
            Assert.Equal("b", (await client.LoadPolicyAsync(
                new LoadPolicyRequest { PolicyId = "b", CheckpointDir = Path.Combine(policies, "inside", "..", "inside", "ckpt") }, Admin)).PolicyId);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task LoadPolicy_FromAnExtraRoot_IsAllowed()
    {
        var root = Directory.CreateTempSubdirectory("immiscible-roots-").FullName;
        try
        {
            var policies = Directory.CreateDirectory(Path.Combine(root, "policies")).FullName;
            var extra = Path.Combine(root, "extra");
            CopyDirectory(fx.CheckpointDirectory, Path.Combine(extra, "ckpt"));
            await using var server = await PlanningServerHost.StartAsync(fx.Options() with
            {
                PoliciesDirectory = policies, AdminKey = "k", ExtraPolicyRoots = [extra],
            });
            using var channel = TinyPolicyFixture.Channel(server);
            var client = TinyPolicyFixture.Client(channel);
            var info = await client.LoadPolicyAsync(new LoadPolicyRequest { PolicyId = "x", CheckpointDir = Path.Combine(extra, "ckpt") }, Admin);
            Assert.Equal("x", info.PolicyId);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void RealPath_FollowsEveryLink_AndIsInsideComparesWholeComponents()
    {
        var root = Directory.CreateTempSubdirectory("immiscible-realpath-").FullName;
        try
        {
            var real = PolicyPaths.RealPath(root);
            Directory.CreateDirectory(Path.Combine(root, "a", "b"));
            Directory.CreateSymbolicLink(Path.Combine(root, "l1"), "a");
            Directory.CreateSymbolicLink(Path.Combine(root, "a", "up"), "..");
            Assert.Equal(Path.Combine(real, "a", "b"), PolicyPaths.RealPath(Path.Combine(root, "l1", "b")));
            Assert.Equal(Path.Combine(real, "a", "b"), PolicyPaths.RealPath(Path.Combine(root, "l1", "up", "a", "b")));
            Assert.Equal(Path.Combine(real, "missing", "x"), PolicyPaths.RealPath(Path.Combine(root, "missing", "x")));
            Directory.CreateSymbolicLink(Path.Combine(root, "loop"), "loop");
            Assert.Throws<IOException>(() => PolicyPaths.RealPath(Path.Combine(root, "loop", "x")));
            Assert.True(PolicyPaths.IsInside("/srv/policies/a", "/srv/policies"));
            Assert.True(PolicyPaths.IsInside("/srv/policies", "/srv/policies/"));
            Assert.False(PolicyPaths.IsInside("/srv/policies-evil/a", "/srv/policies"));
            Assert.False(PolicyPaths.IsInside("/srv", "/srv/policies"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
