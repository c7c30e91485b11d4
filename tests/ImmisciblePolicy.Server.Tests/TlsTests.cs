using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using ImmisciblePolicy.Server.Hosting;

namespace ImmisciblePolicy.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class TlsTests(TinyPolicyFixture fx)
{
    [Fact]
    public async Task HttpsUrlWithCertificate_ServesPlansOverTls_ToAClientPinningTheCertificate()
    {
        var pfx = Path.Combine(fx.Root, "server.pfx");
        string thumbprint;
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            thumbprint = cert.Thumbprint;
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "pw"));
        }
        await using var server = await PlanningServerHost.StartAsync(fx.Options() with
        {
            Url = "https://127.0.0.1:0", CertificatePath = pfx, CertificatePassword = "pw",
        });
        Assert.Equal("https", server.Address.Scheme);
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is X509Certificate2 c && c.Thumbprint == thumbprint;
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { HttpHandler = handler });
        var reply = await TinyPolicyFixture.Client(channel).PlanAsync(fx.Request(5, seed: 2));
        var (actions, _) = fx.InProcess.PlanChunks([fx.Window(5)], 2, null);
        Assert.Equal(actions[0].SelectMany(r => r).Select(v => (float)v), reply.Actions.SelectMany(a => a.Values));

        // Plaintext HTTP/2 to the TLS port is refused.
        using var plain = GrpcChannel.ForAddress(new UriBuilder(server.Address) { Scheme = "http" }.Uri);
        await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () => await TinyPolicyFixture.Client(plain).PlanAsync(fx.Request(5, seed: 2)));
    }

    [Fact]
    public void Options_HttpsWithoutCertificate_IsRejectedNamingTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => (fx.Options() with { Url = "https://127.0.0.1:0" }).Validate());
        Assert.Equal("CertificatePath", e.ParamName);
        var batch = Assert.Throws<ArgumentException>(() => (fx.Options() with { MaxBatch = 0 }).Validate());
        Assert.Contains("MaxBatch must be at least 1; got 0", batch.Message, StringComparison.Ordinal);
    }
}
