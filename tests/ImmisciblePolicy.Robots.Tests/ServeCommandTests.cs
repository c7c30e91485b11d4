using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.CommandLine;
using ImmisciblePolicy.Cli;

namespace ImmisciblePolicy.Robots.Tests;

/// <summary>
/// Issue 12 defect 7: `immiscible serve` with https but no --cert, or a wrong certificate password, died with a
/// stack trace. Configuration errors are one line on stderr and exit code 2, before anything listens.
/// </summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("immiscible-serve-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var parse = Program.CreateRoot().Parse(args);
        int code = await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertOneLineError(int code, string err, string expected)
    {
        Assert.Equal(2, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{err}");
        Assert.StartsWith("immiscible serve: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_WithoutCert_IsOneLineErrorAndExitCode2()
    {
        var (code, _, err) = await Run("serve", "--policies", _root, "--urls", "https://127.0.0.1:0", "--telemetry", "off");
        AssertOneLineError(code, err, "no CertificatePath is configured (serve --cert FILE.pfx)");
    }

    [Fact]
    public async Task Https_WithWrongCertPassword_IsOneLineErrorAndExitCode2()
    {
        var pfx = Path.Combine(_root, "server.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "right"));
        }
        var (code, _, err) = await Run("serve", "--policies", _root, "--urls", "https://127.0.0.1:0", "--telemetry", "off",
            "--cert", pfx, "--cert-password", "wrong");
        AssertOneLineError(code, err, "could not be opened as a PKCS#12 certificate (wrong --cert-password");

        (code, _, err) = await Run("serve", "--policies", _root, "--urls", "https://127.0.0.1:0", "--telemetry", "off",
            "--cert", Path.Combine(_root, "missing.pfx"));
        AssertOneLineError(code, err, "missing.pfx' does not exist");
    }

    [Fact]
    public async Task BadMessageLimitOrPolicyRoot_IsOneLineErrorAndExitCode2()
    {
        var (code, _, err) = await Run("serve", "--policies", _root, "--telemetry", "off", "--max-message-mb", "0");
        AssertOneLineError(code, err, "--max-message-mb must be between");
        (code, _, err) = await Run("serve", "--policies", _root, "--telemetry", "off", "--allow-policy-root", Path.Combine(_root, "nope"));
        AssertOneLineError(code, err, "is not an existing directory");
    }
}
