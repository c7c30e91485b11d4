#!/usr/bin/env python3
"""PyTorch timing peer for `immiscible bench policy`.

Builds Diffusion Policy's ConditionalUnet1D (real-stanford/diffusion_policy,
diffusion_policy/model/diffusion/conditional_unet1d.py; written here from the published architecture, see
REFERENCE.md section 2) with the given widths, and times one training step (forward, MSE loss, backward,
AdamW step) and DDIM-style planning forward passes, on CPU with a fixed thread count.

Prints one JSON object: {"torch": version, "threads": n, "params": count, "train_ms": median, "forward_ms": median}.
Usage: /usr/bin/python3 tests/peers/torch_policy_bench.py --widths 64,128,256 --embed 64 --batch 64 --threads 2
"""
import argparse, json, math, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        half = self.dim // 2
        freq = torch.exp(torch.arange(half, device=x.device) * -(math.log(10000) / (half - 1)))
        e = x[:, None].float() * freq[None, :]
        return torch.cat([e.sin(), e.cos()], dim=-1)


def conv_block(cin, cout, k, groups=8):
    return nn.Sequential(nn.Conv1d(cin, cout, k, padding=k // 2), nn.GroupNorm(groups, cout), nn.Mish())


class ResBlock(nn.Module):
    def __init__(self, cin, cout, cond, k):
        super().__init__()
        self.blocks = nn.ModuleList([conv_block(cin, cout, k), conv_block(cout, cout, k)])
        self.cout = cout
        self.cond_encoder = nn.Sequential(nn.Mish(), nn.Linear(cond, 2 * cout))
        self.residual = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, cond):
        out = self.blocks[0](x)
        scale, bias = self.cond_encoder(cond).reshape(-1, 2, self.cout, 1).unbind(1)
        out = scale * out + bias
        out = self.blocks[1](out)
        return out + self.residual(x)


class Unet(nn.Module):
    def __init__(self, input_dim, cond_dim, dims, embed, k=5):
        super().__init__()
        self.step = nn.Sequential(SinusoidalPosEmb(embed), nn.Linear(embed, 4 * embed), nn.Mish(), nn.Linear(4 * embed, embed))
        cond = embed + cond_dim
        all_dims = [input_dim] + list(dims)
        pairs = list(zip(all_dims[:-1], all_dims[1:]))
        self.down = nn.ModuleList()
        for i, (a, b) in enumerate(pairs):
            last = i == len(pairs) - 1
            self.down.append(nn.ModuleList([ResBlock(a, b, cond, k), ResBlock(b, b, cond, k),
                                            nn.Conv1d(b, b, 3, 2, 1) if not last else nn.Identity()]))
        self.mid = nn.ModuleList([ResBlock(dims[-1], dims[-1], cond, k), ResBlock(dims[-1], dims[-1], cond, k)])
        self.up = nn.ModuleList()
        for i, (a, b) in enumerate(reversed(pairs[1:])):
            last = i == len(pairs) - 1
            self.up.append(nn.ModuleList([ResBlock(b * 2, a, cond, k), ResBlock(a, a, cond, k),
                                          nn.ConvTranspose1d(a, a, 4, 2, 1) if not last else nn.Identity()]))
        self.final = nn.Sequential(conv_block(dims[0], dims[0], k), nn.Conv1d(dims[0], input_dim, 1))

    def forward(self, x, t, g):
        x = x.moveaxis(-1, -2)
        cond = torch.cat([self.step(t), g], dim=-1)
        h = []
        for r1, r2, down in self.down:
            x = r2(r1(x, cond), cond)
            h.append(x)
            x = down(x)
        for m in self.mid:
            x = m(x, cond)
        for r1, r2, up in self.up:
            x = torch.cat([x, h.pop()], dim=1)
            x = r2(r1(x, cond), cond)
            x = up(x)
        return self.final(x).moveaxis(-1, -2)


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
    net = Unet(a.action, a.obs, dims, a.embed)
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
