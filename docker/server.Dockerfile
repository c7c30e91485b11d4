# syntax=docker/dockerfile:1
# Planning server image: `immiscible serve` on :50051 (gRPC, h2c), telemetry PUB :5556, robot telemetry SUB :5557.
# Build from the repository root:  docker build -f docker/server.Dockerfile -t immiscible-server .

# ---- build: restore and publish the CLI (it hosts the server in-process) ----
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY global.json* Directory.Build.props Directory.Build.targets* Directory.Packages.props ImmisciblePolicy.sln ./
COPY build/ build/
COPY src/ImmisciblePolicy.Core/*.csproj src/ImmisciblePolicy.Core/
COPY src/ImmisciblePolicy.Policy/*.csproj src/ImmisciblePolicy.Policy/
COPY src/ImmisciblePolicy.Onnx/*.csproj src/ImmisciblePolicy.Onnx/
COPY src/ImmisciblePolicy.Robotics/*.csproj src/ImmisciblePolicy.Robotics/
COPY src/ImmisciblePolicy.Robots/*.csproj src/ImmisciblePolicy.Robots/
COPY src/ImmisciblePolicy.Protos/*.csproj src/ImmisciblePolicy.Protos/
COPY src/ImmisciblePolicy.Server/*.csproj src/ImmisciblePolicy.Server/
COPY src/ImmisciblePolicy.Cli/*.csproj src/ImmisciblePolicy.Cli/
COPY sim/ImmisciblePolicy.Sim/*.csproj sim/ImmisciblePolicy.Sim/
RUN dotnet restore src/ImmisciblePolicy.Cli/ImmisciblePolicy.Cli.csproj
COPY protos/ protos/
COPY src/ src/
COPY sim/ sim/
RUN dotnet publish src/ImmisciblePolicy.Cli/ImmisciblePolicy.Cli.csproj -c Release --no-restore -o /app

# ---- runtime: ASP.NET (Kestrel) without the SDK ----
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# libgomp: libtorch's OpenMP runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Policies come from a mounted volume (read-only is enough); one sub-directory per checkpoint.
RUN mkdir -p /policies && chown "$APP_UID" /policies
VOLUME ["/policies"]
# The image's built-in non-root user (uid 1654).
USER $APP_UID
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_gcServer=0 \
    IMMISCIBLE_THREADS=2
EXPOSE 50051 5556 5557
# grpc_health_probe's job, done by the CLI itself: exit 0 only when grpc.health.v1 answers SERVING
# (the server reports SERVING once at least one policy is loaded).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["dotnet", "/app/immiscible.dll", "health", "--server", "http://127.0.0.1:50051", "--timeout", "4"]
ENTRYPOINT ["dotnet", "/app/immiscible.dll", "serve"]
CMD ["--policies", "/policies", "--urls", "http://0.0.0.0:50051", "--telemetry", "tcp://0.0.0.0:5556", "--telemetry-in", "tcp://0.0.0.0:5557"]
