#!/usr/bin/env python3
"""An outside robot calling the planning server with grpcio (not .NET).

Stubs are generated from protos/ with grpc_tools.protoc into --stubs (a temporary directory). The robot
asks GetPolicy for the shapes, sends one observation window (JSON on stdin: {"window": [[...], ...],
"timestep": t, "seed": s, "session": "..."}) and prints the reply as JSON.

Needs Debian's python3-grpcio, python3-grpc-tools and python3-protobuf.
"""
import argparse
import json
import os
import subprocess
import sys


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
        try:
            stub.Plan(bad, metadata=metadata, timeout=10)
            bad_status = "OK"
        except grpc.RpcError as e:
            bad_status = e.code().name
        print(json.dumps({
            "observation_steps": info.observation_steps,
            "dt": info.dt_seconds,
            "actions": [list(s.values) for s in reply.actions],
            "timesteps": [s.timestep for s in reply.actions],
            "stamps_ms": [s.timestamp.ToMilliseconds() for s in reply.actions],
            "seed": reply.seed,
            "bad_status": bad_status,
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
