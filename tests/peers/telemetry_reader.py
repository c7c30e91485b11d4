#!/usr/bin/env python3
"""Independent telemetry reader for the planning server (protos/README.md, schema v1).

Subscribes to the server's ZeroMQ PUB endpoint with pyzmq, decodes payloads with msgpack (not the C#
library that wrote them) and prints one JSON line per message: {"topic": ..., "payload": {...}}.
Exits after --count messages of --topic or --timeout seconds (exit code 2).

Needs Debian's python3-zmq and python3-msgpack.
Run: /usr/bin/python3 tests/peers/telemetry_reader.py tcp://127.0.0.1:5556 --topic plan --count 3
"""
import argparse
import json
import sys

import msgpack
import zmq


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("endpoint")
    p.add_argument("--topic", default="plan")
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--timeout", type=float, default=20.0)
    a = p.parse_args()
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(a.endpoint)
    sub.setsockopt(zmq.SUBSCRIBE, a.topic.encode())
    print("ready", flush=True)
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    got = 0
    import time
    deadline = time.monotonic() + a.timeout
    while got < a.count:
        left = deadline - time.monotonic()
        if left <= 0:
            return 2
        if not poller.poll(int(left * 1000)):
            continue
        topic, payload = sub.recv_multipart()
        # raw=False: str keys/values decode as UTF-8 str; strict_map_key keeps keys to str/bytes.
        message = msgpack.unpackb(payload, raw=False, strict_map_key=True)
        print(json.dumps({"topic": topic.decode(), "payload": message}), flush=True)
        got += 1
    sub.close()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
