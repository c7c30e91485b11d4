#!/usr/bin/env python3
"""An outside robot planning with a vision policy through grpcio (not .NET), from numpy uint8 camera frames.

Stubs are generated from protos/ with grpc_tools.protoc into --stubs. The robot reads one observation window from
stdin as JSON: {"states": [[x, y], ...] (To rows), "frames": [base64 of H*W*C uint8 bytes, one per step],
"timestep": t, "seed": s, "session": "..."}. It asks GetPolicy for the image features, builds (H, W, C) numpy
arrays, sends them as PlanRequest.images (RAW_HWC_UINT8: arr.tobytes()), then the same frames as PNG files written
here with zlib (no imaging library), and a few broken requests (a grey frame for an RGB camera, a missing camera, a
step short), and prints every outcome as JSON.

Needs Debian's python3-grpcio, python3-grpc-tools, python3-protobuf and python3-numpy.
"""
import argparse
import base64
import json
import os
import struct
import subprocess
import sys
import zlib


def png_bytes(arr):
    """A minimal 8-bit RGB (colour type 2) or grey (0) PNG of an (H, W, C) uint8 array: filter 0 on every row."""
    h, w, c = arr.shape
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def status_of(grpc, call):
    try:
        call()
        return "OK", ""
    except grpc.RpcError as e:
        return e.code().name, e.details()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("address", help="host:port")
    p.add_argument("--protos", required=True)
    p.add_argument("--stubs", required=True)
    p.add_argument("--policy", default="eye")
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
    limit = 16 << 20
    options = [("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)]
    with grpc.insecure_channel(a.address, options=options) as channel:
        stub = rpc.PlanningServiceStub(channel)
        info = stub.GetPolicy(pb.GetPolicyRequest(policy_id=a.policy), timeout=10)
        assert len(info.image_features) == 1, "one camera expected"
        camera = info.image_features[0]
        states = np.asarray(job["states"], dtype=np.float64)                       # (To, Do)
        frames = [np.frombuffer(base64.b64decode(f), dtype=np.uint8).reshape(camera.height, camera.width, camera.channels)
                  for f in job["frames"]]                                          # To arrays (H, W, C)

        def request(encode):
            r = pb.PlanRequest(policy_id=a.policy, session_id=job["session"], timestep=job["timestep"])
            r.observation.shape.extend(states.shape)
            r.observation.data = states.astype("<f4").tobytes()
            r.sampler.seed.value = job["seed"]
            for frame in frames:
                step = r.images.add()
                image = step.cameras[camera.name]
                image.height, image.width, image.channels = frame.shape
                image.encoding, image.data = encode(frame)
            return r

        raw = stub.Plan(request(lambda f: (pb.IMAGE_ENCODING_RAW_HWC_UINT8, np.ascontiguousarray(f).tobytes())), timeout=30)
        png = stub.Plan(request(lambda f: (pb.IMAGE_ENCODING_PNG, png_bytes(f))), timeout=30)

        grey = request(lambda f: (pb.IMAGE_ENCODING_RAW_HWC_UINT8, f.tobytes()))
        grey.images[1].cameras[camera.name].channels = 1                           # step 1 as a grey (H, W) frame
        grey.images[1].cameras[camera.name].data = np.ascontiguousarray(frames[1][:, :, 0]).tobytes()
        grey_status, grey_detail = status_of(grpc, lambda: stub.Plan(grey, timeout=10))
        missing = request(lambda f: (pb.IMAGE_ENCODING_RAW_HWC_UINT8, f.tobytes()))
        del missing.images[0].cameras[camera.name]
        missing_status, missing_detail = status_of(grpc, lambda: stub.Plan(missing, timeout=10))
        short = request(lambda f: (pb.IMAGE_ENCODING_RAW_HWC_UINT8, f.tobytes()))
        del short.images[1]
        short_status, short_detail = status_of(grpc, lambda: stub.Plan(short, timeout=10))

        chunk = np.frombuffer(raw.chunk.data, dtype="<f4").reshape(tuple(raw.chunk.shape))
        print(json.dumps({
            "camera": [camera.name, camera.height, camera.width, camera.channels],
            "observation_size": info.observation_size,
            "chunk": chunk.astype(float).tolist(),
            "png_chunk": np.frombuffer(png.chunk.data, dtype="<f4").astype(float).tolist(),
            "seed": raw.seed,
            "grey_status": grey_status, "grey_detail": grey_detail,
            "missing_status": missing_status, "missing_detail": missing_detail,
            "short_status": short_status, "short_detail": short_detail,
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
