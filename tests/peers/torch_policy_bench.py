#!/usr/bin/env python3
"""PyTorch timing peer for `immiscible bench policy`.

Builds Diffusion Policy's ConditionalUnet1D (real-stanford/diffusion_policy,
diffusion_policy/model/diffusion/conditional_unet1d.py; rebuilt with the reference's module names in
diffusion_policy_unet.py beside this file) with the given widths, and times one training step (forward, MSE loss, backward,
AdamW step) and DDIM-style planning forward passes, on CPU with a fixed thread count.

Prints one JSON object: {"torch": version, "threads": n, "params": count, "train_ms": median, "forward_ms": median}.
Usage: /usr/bin/python3 tests/peers/torch_policy_bench.py --widths 64,128,256 --embed 64 --batch 64 --threads 2
"""
import argparse, json, os, statistics, sys, time
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diffusion_policy_unet import ConditionalUnet1D  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="64,128,256")
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--horizon", type=int, default=16)
    ap.add_argument("--obs", type=int, default=40)
    ap.add_argument("--action", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dims = [int(s) for s in a.widths.split(",")]
    net = ConditionalUnet1D(a.action, a.obs, a.embed, dims, kernel_size=5, n_groups=8, cond_predict_scale=True)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, betas=(0.95, 0.999), weight_decay=1e-6)
    x = torch.randn(a.batch, a.horizon, a.action)
    g = torch.randn(a.batch, a.obs)
    times = []
    for i in range(a.steps + 5):
        t0 = time.perf_counter()
        t = torch.randint(0, 100, (a.batch,))
        loss = F.mse_loss(net(x, t, g), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= 5:
            times.append((time.perf_counter() - t0) * 1e3)
    fwd = []
    net.eval()
    with torch.inference_mode():
        x1, g1 = torch.randn(1, a.horizon, a.action), torch.randn(1, a.obs)
        for i in range(60):
            t0 = time.perf_counter()
            net(x1, torch.tensor([50]), g1)
            if i >= 10:
                fwd.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "params": sum(p.numel() for p in net.parameters()),
                      "train_ms": statistics.median(times), "forward_ms": statistics.median(fwd)}))


if __name__ == "__main__":
    main()
