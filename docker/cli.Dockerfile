# syntax=docker/dockerfile:1
# Trainer / simulator image: the whole `immiscible` CLI (data generate, train, eval, sim run, telemetry record, health).
# Build from the repository root:  docker build -f docker/cli.Dockerfile -t immiscible-cli .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
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

# The CLI hosts the server for `demo`, so it needs the ASP.NET runtime too.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# Fashion-MNIST (Debian's dataset-fashion-mnist) feeds the image cells of `immiscible study`; where the base image's
# distribution lacks the package, mount the IDX files and pass `--data`.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && (apt-get install -y --no-install-recommends dataset-fashion-mnist || echo "dataset-fashion-mnist unavailable: pass --data") \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Datasets, checkpoints and recordings are written under /data (mount a volume).
RUN mkdir -p /data && chown "$APP_UID" /data
VOLUME ["/data"]
USER $APP_UID
WORKDIR /data
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    IMMISCIBLE_THREADS=2
ENTRYPOINT ["dotnet", "/app/immiscible.dll"]
CMD ["--help"]
