#!/usr/bin/env python3
"""An outside robot calling the planning server with grpcio (not .NET).

Stubs are generated from protos/ with grpc_tools.protoc into --stubs (a temporary directory). The robot
asks GetPolicy for the shapes, sends one observation window (JSON on stdin: {"window": [[...], ...],
"timestep": t, "seed": s, "session": "..."}) and prints the reply as JSON. It also sends the same window as
numpy float32 bytes (Tensor.data), a few requests a careless robot might send (a wrong shape, observations of
1e25, timestep 2^63 - 1) and asks grpc.reflection.v1 for the services, reporting each outcome.

Needs Debian's python3-grpcio, python3-grpc-tools, python3-protobuf and python3-numpy.
"""
import argparse
import json
import os
import subprocess
import sys


def status_of(grpc, call):
    """(status name, detail) of a call: OK or the RpcError's code."""
    try:
        call()
        return "OK", ""
    except grpc.RpcError as e:
        return e.code().name, e.details()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("address", help="host:port")
    p.add_argument("--protos", required=True, help="directory holding immiscible/planning/v1/planning.proto")
    p.add_argument("--stubs", required=True, help="directory for the generated python modules")
    p.add_argument("--policy", default="tiny")
    p.add_argument("--api-key", default=None)
    a = p.parse_args()
    os.makedirs(a.stubs, exist_ok=True)
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", a.protos, "--python_out", a.stubs,
                    "--grpc_python_out", a.stubs, "immiscible/planning/v1/planning.proto"], check=True)
    for d in ["immiscible", "immiscible/planning", "immiscible/planning/v1"]:
        open(os.path.join(a.stubs, d, "__init__.py"), "a").close()
    sys.path.insert(0, a.stubs)
    import grpc
    import numpy as np
    from immiscible.planning.v1 import planning_pb2 as pb
    from immiscible.planning.v1 import planning_pb2_grpc as rpc

    job = json.load(sys.stdin)
    metadata = [("x-api-key", a.api_key)] if a.api_key else []
    with grpc.insecure_channel(a.address) as channel:
        stub = rpc.PlanningServiceStub(channel)
        info = stub.GetPolicy(pb.GetPolicyRequest(policy_id=a.policy), metadata=metadata, timeout=10)
        window = job["window"]
        assert len(window) == info.observation_steps and len(window[0]) == info.observation_size, "window shape"
        request = pb.PlanRequest(policy_id=a.policy, session_id=job["session"], timestep=job["timestep"])
        request.observation.shape.extend([len(window), len(window[0])])
        request.observation.values.extend([v for row in window for v in row])
        request.observation_time.FromMilliseconds(1767225600000 + 100 * job["timestep"])
        request.sampler.seed.value = job["seed"]
        reply = stub.Plan(request, metadata=metadata, timeout=10)
        bad = pb.PlanRequest(policy_id=a.policy, session_id="x")
        bad.observation.shape.extend([1, 1])
        bad.observation.values.append(0.0)
        bad_status, _ = status_of(grpc, lambda: stub.Plan(bad, metadata=metadata, timeout=10))

        # The same window as little-endian float32 bytes: no Python lists on either side.
        arr = np.asarray(window, dtype=np.float64)
        as_bytes = pb.PlanRequest(policy_id=a.policy, session_id=job["session"], timestep=job["timestep"])
        as_bytes.observation.shape.extend(arr.shape)
        as_bytes.observation.data = arr.astype("<f4").tobytes()
        as_bytes.observation_time.CopyFrom(request.observation_time)
        as_bytes.sampler.seed.value = job["seed"]
        bytes_reply = stub.Plan(as_bytes, metadata=metadata, timeout=10)
        bytes_chunk = np.frombuffer(bytes_reply.chunk.data, dtype="<f4").reshape(tuple(bytes_reply.chunk.shape))

        huge = pb.PlanRequest()
        huge.CopyFrom(as_bytes)
        huge.observation.data = np.full(arr.shape, 1e25, dtype="<f4").tobytes()
        huge_status, huge_detail = status_of(grpc, lambda: stub.Plan(huge, metadata=metadata, timeout=10))
        late = pb.PlanRequest()
        late.CopyFrom(request)
        late.timestep = 2 ** 63 - 1
        late_status, late_detail = status_of(grpc, lambda: stub.Plan(late, metadata=metadata, timeout=10))

        # grpc.reflection.v1 (what grpcurl and current grpcio tools ask first), without the reflection
        # package: ServerReflectionRequest{list_services: ""} is field 7, a length-delimited empty string.
        reflect = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                        request_serializer=lambda b: b, response_deserializer=lambda b: b)
        listed = b"".join(reflect(iter([b"\x3a\x00"]), timeout=10))
        print(json.dumps({
            "observation_steps": info.observation_steps,
            "dt": info.dt_seconds,
            "actions": [list(s.values) for s in reply.actions],
            "timesteps": [s.timestep for s in reply.actions],
            "stamps_ms": [s.timestamp.ToMilliseconds() for s in reply.actions],
            "seed": reply.seed,
            "bad_status": bad_status,
            "values_chunk": list(reply.chunk.values),
            "bytes_chunk": bytes_chunk.ravel().tolist(),
            "bytes_chunk_values": len(bytes_reply.chunk.values),
            "huge_status": huge_status,
            "huge_detail": huge_detail,
            "late_status": late_status,
            "late_detail": late_detail,
            "reflection_v1_lists_planning": b"immiscible.planning.v1.PlanningService" in listed,
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
