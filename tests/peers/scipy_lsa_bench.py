#!/usr/bin/env python3
"""Times SciPy's linear_sum_assignment on Immiscible Diffusion cost matrices.

Peer measurement for ImmisciblePolicy.Core.Assignment.LinearAssignmentSolver (see
docs/benchmarks/lap-vs-scipy.md). For every (n, D) it builds the batch cost the paper uses: the unsquared
L2 distance between n "samples" x_i ~ N(0, I_D) and n noises e_j ~ N(0, I_D), in float64, writes it as a
raw little-endian row-major float64 file `cost_n{n}_d{D}.f64` in --out-dir (so the C# side times the very
same matrices), times `scipy.optimize.linear_sum_assignment` --repeats times and appends one line per
matrix to `scipy_times.tsv`: n, D, median and min wall ms (perf_counter), median and min CPU ms of the
calling thread (thread_time: robust when other processes share the cores), optimal total cost.

Seeds: numpy.random.default_rng(seed + 1000 * n + D) draws x then e, so each matrix is reproducible on
its own. SciPy's solver is single-threaded; BLAS threads are pinned to 1 anyway.

Rerun: /usr/bin/python3 tests/peers/scipy_lsa_bench.py --out-dir /tmp/lap-bench
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from scipy.spatial.distance import cdist  # noqa: E402


def cost_matrix(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000 * n + d)
    x = rng.standard_normal((n, d))  # samples (n, D)
    e = rng.standard_normal((n, d))  # noises (n, D)
    return np.ascontiguousarray(cdist(x, e, "euclidean"), dtype=np.float64)  # (n, n)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out-dir", default="/tmp/lap-bench")
    p.add_argument("--ns", default="128,256,512,1024,2048")
    p.add_argument("--ds", default="32,784,3072")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--no-write", action="store_true", help="reuse matrices already in --out-dir")
    a = p.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    out = os.path.join(a.out_dir, "scipy_times.tsv")
    with open(out, "w") as f:
        f.write("n\tD\twall_median_ms\twall_min_ms\tcpu_median_ms\tcpu_min_ms\ttotal_cost\n")
    for n in [int(s) for s in a.ns.split(",")]:
        for d in [int(s) for s in a.ds.split(",")]:
            path = os.path.join(a.out_dir, f"cost_n{n}_d{d}.f64")
            if a.no_write and os.path.exists(path):
                c = np.fromfile(path, dtype="<f8").reshape(n, n)
            else:
                c = cost_matrix(n, d, a.seed)
                c.astype("<f8").tofile(path)
            wall, cpu = [], []
            for _ in range(a.repeats):
                t0, c0 = time.perf_counter(), time.thread_time()
                r, col = linear_sum_assignment(c)
                c1, t1 = time.thread_time(), time.perf_counter()
                wall.append((t1 - t0) * 1e3)
                cpu.append((c1 - c0) * 1e3)
            total = float(c[r, col].sum())
            line = (f"{n}\t{d}\t{statistics.median(wall):.3f}\t{min(wall):.3f}\t"
                    f"{statistics.median(cpu):.3f}\t{min(cpu):.3f}\t{total:.12f}")
            print(line, flush=True)
            with open(out, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
