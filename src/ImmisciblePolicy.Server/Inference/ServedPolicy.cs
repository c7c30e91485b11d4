namespace ImmisciblePolicy.Server.Inference;

/// <summary>A policy being served: what clients see of it and the worker that plans for it.</summary>
public sealed record ServedPolicy(PolicyDescription Description, InferenceWorker Worker);
